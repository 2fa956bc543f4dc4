"""Gradient graphs build the same ops as TF 2.21's gradient functions.

Each program below was built with TensorFlow 2.21 (`tensorflow.compat.v1`, graph mode)
and symgrad; the expected lists are TF's ops under the `gradients` scopes, in creation
order: (name, type) and, where a gradient function guards its helpers with
`control_dependencies([grad])`, the control inputs. Hard-coded so this runs without TF.
"""

import pytest

import symgrad as tf


PROGRAMS = {
    'sin': """\
x = tf.placeholder(tf.float32, [2, 3], name="x")
tf.gradients(tf.sin(x), x)
""",
    'square_then_second_order_tanh': """\
x = tf.placeholder(tf.float32, [2, 3], name="x")
g = tf.gradients(tf.tanh(tf.square(x)), x)[0]
tf.gradients(g, x)
""",
    'add_broadcast_both': """\
x = tf.placeholder(tf.float32, [4, 1, 3], name="x")
y = tf.placeholder(tf.float32, [2, 1], name="y")
tf.gradients(x + y, [x, y])
""",
    'truediv_unknown_shape': """\
x = tf.placeholder(tf.float32, None, name="x")
y = tf.placeholder(tf.float32, [3], name="y")
tf.gradients(x / y, [x, y])
""",
    'squared_difference': """\
x = tf.placeholder(tf.float32, [2, 3], name="x")
y = tf.placeholder(tf.float32, [3], name="y")
tf.gradients(tf.squared_difference(x, y), [x, y])
""",
    'where_v2_broadcast': """\
c = tf.placeholder(tf.bool, [2, 3])
x = tf.placeholder(tf.float32, [3], name="x")
y = tf.placeholder(tf.float32, [2, 3], name="y")
tf.gradients(tf.where_v2(c, x, y), [x, y])
""",
    'pow_and_log1p': """\
x = tf.placeholder(tf.float32, [2, 3], name="x")
y = tf.placeholder(tf.float32, [2, 3], name="y")
tf.gradients(tf.log1p(tf.pow(x, y)), [x, y])
""",
    'reductions_static': """\
x = tf.placeholder(tf.float32, [2, 3], name="x")
y = tf.placeholder(tf.float32, [2, 3], name="y")
loss = tf.reduce_sum(x, 1) + tf.reduce_sum(y * x, 1) + tf.reduce_max(x, 1) + tf.reduce_mean(y, 1, keepdims=True)
tf.gradients(loss, [x, y])
""",
    'reductions_unknown': """\
x = tf.placeholder(tf.float32, None, name="x")
y = tf.placeholder(tf.float32, [None, 3], name="y")
tf.gradients([tf.reduce_sum(x, 1), tf.reduce_min(y, 1), tf.reduce_sum(y)], [x, y])
""",
    'mean_dynamic': """\
x = tf.placeholder(tf.float32, [None, 3], name="x")
y = tf.placeholder(tf.float32, None, name="y")
z = tf.placeholder(tf.float32, [None, 4, 2], name="z")
loss = tf.reduce_mean(x) + tf.reduce_mean(tf.reduce_mean(y, 1)) + tf.reduce_sum(tf.reduce_mean(z, tf.constant([-1, 1])))
tf.gradients(loss, [x, y, z])
""",
    'array_ops': """\
x = tf.placeholder(tf.float32, [None, 3], name="x")
y = tf.placeholder(tf.float32, [3], name="y")
t = tf.tile(tf.reshape(x, [-1]), [2])
b = tf.broadcast_to(y, [2, 3])
s = tf.stack([b, tf.transpose(b, [0, 1])], axis=1)
tf.gradients([t, tf.unstack(s, axis=1)[0], tf.fill([2, 2], tf.reduce_sum(y))], [x, y])
""",
    'mlp': """\
x = tf.placeholder(tf.float32, [8, 4], name="x")
w = tf.placeholder(tf.float32, [3, 4], name="w")
b = tf.placeholder(tf.float32, [3], name="b")
h = tf.nn.relu(tf.matmul(x, w, transpose_b=True) + b)
z = tf.matmul(tf.reshape(h, [2, 4, 3]), tf.ones([2, 3, 5]))
loss = tf.reduce_mean(tf.square(h - 1.0)) + tf.reduce_mean(tf.sigmoid(z) * tf.exp(-z))
tf.gradients(loss, [w, b])
""",
}

EXPECTED = {
    'mean_dynamic': [
        ('gradients/Shape', 'Const'),
        ('gradients/grad_ys_0/Const', 'Const'),
        ('gradients/grad_ys_0', 'Fill'),
        ('gradients/Sum_grad/Reshape/shape', 'Const'),
        ('gradients/Sum_grad/Reshape', 'Reshape'),
        ('gradients/Sum_grad/Shape', 'Shape'),
        ('gradients/Sum_grad/Tile', 'Tile'),
        ('gradients/Mean_grad/Reshape/shape', 'Const'),
        ('gradients/Mean_grad/Reshape', 'Reshape'),
        ('gradients/Mean_grad/Shape', 'Shape'),
        ('gradients/Mean_grad/Tile', 'Tile'),
        ('gradients/Mean_grad/Shape_1', 'Shape'),
        ('gradients/Mean_grad/Size', 'Const'),
        ('gradients/Mean_grad/add', 'AddV2'),
        ('gradients/Mean_grad/mod', 'FloorMod'),
        ('gradients/Mean_grad/GatherV2/axis', 'Const'),
        ('gradients/Mean_grad/GatherV2', 'GatherV2'),
        ('gradients/Mean_grad/Const', 'Const'),
        ('gradients/Mean_grad/Prod', 'Prod'),
        ('gradients/Mean_grad/Cast', 'Cast'),
        ('gradients/Mean_grad/truediv', 'RealDiv'),
        ('gradients/Mean_2_grad/Shape', 'Shape'),
        ('gradients/Mean_2_grad/Size', 'Size'),
        ('gradients/Mean_2_grad/add', 'AddV2'),
        ('gradients/Mean_2_grad/mod', 'FloorMod'),
        ('gradients/Mean_2_grad/Shape_1', 'Shape'),
        ('gradients/Mean_2_grad/range/start', 'Const'),
        ('gradients/Mean_2_grad/range/delta', 'Const'),
        ('gradients/Mean_2_grad/range', 'Range'),
        ('gradients/Mean_2_grad/ones/Const', 'Const'),
        ('gradients/Mean_2_grad/ones', 'Fill'),
        ('gradients/Mean_2_grad/DynamicStitch', 'DynamicStitch'),
        ('gradients/Mean_2_grad/Reshape', 'Reshape'),
        ('gradients/Mean_2_grad/BroadcastTo', 'BroadcastTo'),
        ('gradients/Mean_2_grad/Shape_2', 'Shape'),
        ('gradients/Mean_2_grad/Size_1', 'Size'),
        ('gradients/Mean_2_grad/add_1', 'AddV2'),
        ('gradients/Mean_2_grad/mod_1', 'FloorMod'),
        ('gradients/Mean_2_grad/GatherV2/axis', 'Const'),
        ('gradients/Mean_2_grad/GatherV2', 'GatherV2'),
        ('gradients/Mean_2_grad/Const', 'Const'),
        ('gradients/Mean_2_grad/Prod', 'Prod'),
        ('gradients/Mean_2_grad/Cast', 'Cast'),
        ('gradients/Mean_2_grad/truediv', 'RealDiv'),
        ('gradients/Mean_3_grad/Shape', 'Shape'),
        ('gradients/Mean_3_grad/Size', 'Const'),
        ('gradients/Mean_3_grad/add', 'AddV2'),
        ('gradients/Mean_3_grad/mod', 'FloorMod'),
        ('gradients/Mean_3_grad/Shape_1', 'Const'),
        ('gradients/Mean_3_grad/range/start', 'Const'),
        ('gradients/Mean_3_grad/range/delta', 'Const'),
        ('gradients/Mean_3_grad/range', 'Range'),
        ('gradients/Mean_3_grad/ones/Const', 'Const'),
        ('gradients/Mean_3_grad/ones', 'Fill'),
        ('gradients/Mean_3_grad/DynamicStitch', 'DynamicStitch'),
        ('gradients/Mean_3_grad/Reshape', 'Reshape'),
        ('gradients/Mean_3_grad/BroadcastTo', 'BroadcastTo'),
        ('gradients/Mean_3_grad/Shape_2', 'Shape'),
        ('gradients/Mean_3_grad/Size_1', 'Const'),
        ('gradients/Mean_3_grad/add_1', 'AddV2'),
        ('gradients/Mean_3_grad/mod_1', 'FloorMod'),
        ('gradients/Mean_3_grad/GatherV2/axis', 'Const'),
        ('gradients/Mean_3_grad/GatherV2', 'GatherV2'),
        ('gradients/Mean_3_grad/Const', 'Const'),
        ('gradients/Mean_3_grad/Prod', 'Prod'),
        ('gradients/Mean_3_grad/Cast', 'Cast'),
        ('gradients/Mean_3_grad/truediv', 'RealDiv'),
        ('gradients/Mean_1_grad/Shape', 'Shape'),
        ('gradients/Mean_1_grad/Size', 'Size'),
        ('gradients/Mean_1_grad/add', 'AddV2'),
        ('gradients/Mean_1_grad/mod', 'FloorMod'),
        ('gradients/Mean_1_grad/Shape_1', 'Const'),
        ('gradients/Mean_1_grad/range/start', 'Const'),
        ('gradients/Mean_1_grad/range/delta', 'Const'),
        ('gradients/Mean_1_grad/range', 'Range'),
        ('gradients/Mean_1_grad/ones/Const', 'Const'),
        ('gradients/Mean_1_grad/ones', 'Fill'),
        ('gradients/Mean_1_grad/DynamicStitch', 'DynamicStitch'),
        ('gradients/Mean_1_grad/Reshape', 'Reshape'),
        ('gradients/Mean_1_grad/BroadcastTo', 'BroadcastTo'),
        ('gradients/Mean_1_grad/Shape_2', 'Shape'),
        ('gradients/Mean_1_grad/Size_1', 'Size'),
        ('gradients/Mean_1_grad/add_1', 'AddV2'),
        ('gradients/Mean_1_grad/mod_1', 'FloorMod'),
        ('gradients/Mean_1_grad/GatherV2/axis', 'Const'),
        ('gradients/Mean_1_grad/GatherV2', 'GatherV2'),
        ('gradients/Mean_1_grad/Rank', 'Const'),
        ('gradients/Mean_1_grad/range_1/start', 'Const'),
        ('gradients/Mean_1_grad/range_1/delta', 'Const'),
        ('gradients/Mean_1_grad/range_1', 'Range'),
        ('gradients/Mean_1_grad/Prod', 'Prod'),
        ('gradients/Mean_1_grad/Cast', 'Cast'),
        ('gradients/Mean_1_grad/truediv', 'RealDiv'),
    ],
    'sin': [
        ('gradients/Shape', 'Const'),
        ('gradients/grad_ys_0/Const', 'Const'),
        ('gradients/grad_ys_0', 'Fill'),
        ('gradients/Sin_grad/Cos', 'Cos', ['gradients/grad_ys_0']),
        ('gradients/Sin_grad/mul', 'Mul'),
    ],
    'square_then_second_order_tanh': [
        ('gradients/Shape', 'Const'),
        ('gradients/grad_ys_0/Const', 'Const'),
        ('gradients/grad_ys_0', 'Fill'),
        ('gradients/Tanh_grad/TanhGrad', 'TanhGrad'),
        ('gradients/Square_grad/Const', 'Const', ['gradients/Tanh_grad/TanhGrad']),
        ('gradients/Square_grad/Mul', 'Mul'),
        ('gradients/Square_grad/Mul_1', 'Mul'),
        ('gradients_1/Shape', 'Const'),
        ('gradients_1/grad_ys_0/Const', 'Const'),
        ('gradients_1/grad_ys_0', 'Fill'),
        ('gradients_1/gradients/Square_grad/Mul_1_grad/Mul', 'Mul'),
        ('gradients_1/gradients/Square_grad/Mul_1_grad/Mul_1', 'Mul'),
        ('gradients_1/gradients/Tanh_grad/TanhGrad_grad/mul/y', 'Const', ['gradients_1/gradients/Square_grad/Mul_1_grad/Mul']),
        ('gradients_1/gradients/Tanh_grad/TanhGrad_grad/mul', 'Mul'),
        ('gradients_1/gradients/Tanh_grad/TanhGrad_grad/mul_1', 'Mul'),
        ('gradients_1/gradients/Tanh_grad/TanhGrad_grad/mul_2', 'Mul'),
        ('gradients_1/gradients/Tanh_grad/TanhGrad_grad/TanhGrad', 'TanhGrad'),
        ('gradients_1/gradients/Square_grad/Mul_grad/Mul', 'Mul'),
        ('gradients_1/gradients/Square_grad/Mul_grad/Mul_1', 'Mul'),
        ('gradients_1/gradients/Square_grad/Mul_grad/Shape', 'Const'),
        ('gradients_1/gradients/Square_grad/Mul_grad/Shape_1', 'Const'),
        ('gradients_1/gradients/Square_grad/Mul_grad/Sum/reduction_indices', 'Const'),
        ('gradients_1/gradients/Square_grad/Mul_grad/Sum', 'Sum'),
        ('gradients_1/gradients/Square_grad/Mul_grad/Reshape', 'Reshape'),
        ('gradients_1/Tanh_grad/TanhGrad', 'TanhGrad'),
        ('gradients_1/Square_grad/Const', 'Const', ['gradients_1/Tanh_grad/TanhGrad']),
        ('gradients_1/Square_grad/Mul', 'Mul'),
        ('gradients_1/Square_grad/Mul_1', 'Mul'),
        ('gradients_1/AddN', 'AddN'),
    ],
    'add_broadcast_both': [
        ('gradients/Shape', 'Const'),
        ('gradients/grad_ys_0/Const', 'Const'),
        ('gradients/grad_ys_0', 'Fill'),
        ('gradients/add_grad/Shape', 'Const'),
        ('gradients/add_grad/Shape_1', 'Const'),
        ('gradients/add_grad/Sum/reduction_indices', 'Const'),
        ('gradients/add_grad/Sum', 'Sum'),
        ('gradients/add_grad/Reshape', 'Reshape'),
        ('gradients/add_grad/Sum_1/reduction_indices', 'Const'),
        ('gradients/add_grad/Sum_1', 'Sum'),
        ('gradients/add_grad/Reshape_1', 'Reshape'),
    ],
    'truediv_unknown_shape': [
        ('gradients/Shape', 'Shape'),
        ('gradients/grad_ys_0/Const', 'Const'),
        ('gradients/grad_ys_0', 'Fill'),
        ('gradients/truediv_grad/RealDiv', 'RealDiv'),
        ('gradients/truediv_grad/Neg', 'Neg'),
        ('gradients/truediv_grad/RealDiv_1', 'RealDiv'),
        ('gradients/truediv_grad/RealDiv_2', 'RealDiv'),
        ('gradients/truediv_grad/mul', 'Mul'),
        ('gradients/truediv_grad/Shape', 'Shape'),
        ('gradients/truediv_grad/Shape_1', 'Const'),
        ('gradients/truediv_grad/BroadcastGradientArgs', 'BroadcastGradientArgs'),
        ('gradients/truediv_grad/Sum', 'Sum'),
        ('gradients/truediv_grad/Reshape', 'Reshape'),
        ('gradients/truediv_grad/Sum_1', 'Sum'),
        ('gradients/truediv_grad/Reshape_1', 'Reshape'),
    ],
    'squared_difference': [
        ('gradients/Shape', 'Const'),
        ('gradients/grad_ys_0/Const', 'Const'),
        ('gradients/grad_ys_0', 'Fill'),
        ('gradients/SquaredDifference_grad/scalar', 'Const', ['gradients/grad_ys_0']),
        ('gradients/SquaredDifference_grad/Mul', 'Mul'),
        ('gradients/SquaredDifference_grad/sub', 'Sub', ['gradients/grad_ys_0']),
        ('gradients/SquaredDifference_grad/mul_1', 'Mul'),
        ('gradients/SquaredDifference_grad/Neg', 'Neg'),
        ('gradients/SquaredDifference_grad/Shape', 'Const'),
        ('gradients/SquaredDifference_grad/Shape_1', 'Const'),
        ('gradients/SquaredDifference_grad/Sum/reduction_indices', 'Const'),
        ('gradients/SquaredDifference_grad/Sum', 'Sum'),
        ('gradients/SquaredDifference_grad/Reshape', 'Reshape'),
    ],
    'where_v2_broadcast': [
        ('gradients/Shape', 'Const'),
        ('gradients/grad_ys_0/Const', 'Const'),
        ('gradients/grad_ys_0', 'Fill'),
        ('gradients/SelectV2_grad/zeros', 'Const'),
        ('gradients/SelectV2_grad/SelectV2', 'SelectV2'),
        ('gradients/SelectV2_grad/SelectV2_1', 'SelectV2'),
        ('gradients/SelectV2_grad/Shape', 'Const'),
        ('gradients/SelectV2_grad/Shape_1', 'Const'),
        ('gradients/SelectV2_grad/Sum/reduction_indices', 'Const'),
        ('gradients/SelectV2_grad/Sum', 'Sum'),
        ('gradients/SelectV2_grad/Reshape', 'Reshape'),
        ('gradients/SelectV2_grad/Shape_2', 'Const'),
        ('gradients/SelectV2_grad/Shape_3', 'Const'),
    ],
    'pow_and_log1p': [
        ('gradients/Shape', 'Const'),
        ('gradients/grad_ys_0/Const', 'Const'),
        ('gradients/grad_ys_0', 'Fill'),
        ('gradients/Log1p_grad/add/x', 'Const', ['gradients/grad_ys_0']),
        ('gradients/Log1p_grad/add', 'AddV2'),
        ('gradients/Log1p_grad/Reciprocal', 'Reciprocal'),
        ('gradients/Log1p_grad/mul', 'Mul'),
        ('gradients/Pow_grad/mul', 'Mul'),
        ('gradients/Pow_grad/sub/y', 'Const'),
        ('gradients/Pow_grad/sub', 'Sub'),
        ('gradients/Pow_grad/Pow', 'Pow'),
        ('gradients/Pow_grad/mul_1', 'Mul'),
        ('gradients/Pow_grad/Greater/y', 'Const'),
        ('gradients/Pow_grad/Greater', 'Greater'),
        ('gradients/Pow_grad/ones_like/Shape/shape_as_tensor', 'Const'),
        ('gradients/Pow_grad/ones_like/Const', 'Const'),
        ('gradients/Pow_grad/ones_like', 'Fill'),
        ('gradients/Pow_grad/Select', 'Select'),
        ('gradients/Pow_grad/Log', 'Log'),
        ('gradients/Pow_grad/zeros_like', 'Const'),
        ('gradients/Pow_grad/Select_1', 'Select'),
        ('gradients/Pow_grad/mul_2', 'Mul'),
        ('gradients/Pow_grad/mul_3', 'Mul'),
        ('gradients/Pow_grad/Shape', 'Const'),
        ('gradients/Pow_grad/Shape_1', 'Const'),
    ],
    'reductions_static': [
        ('gradients/Shape', 'Const'),
        ('gradients/grad_ys_0/Const', 'Const'),
        ('gradients/grad_ys_0', 'Fill'),
        ('gradients/add_2_grad/Shape', 'Const'),
        ('gradients/add_2_grad/Shape_1', 'Const'),
        ('gradients/add_2_grad/Sum/reduction_indices', 'Const'),
        ('gradients/add_2_grad/Sum', 'Sum'),
        ('gradients/add_2_grad/Reshape', 'Reshape'),
        ('gradients/add_2_grad/Sum_1/reduction_indices', 'Const'),
        ('gradients/add_2_grad/Sum_1', 'Sum'),
        ('gradients/add_2_grad/Reshape_1', 'Reshape'),
        ('gradients/Mean_grad/Maximum/x', 'Const'),
        ('gradients/Mean_grad/Maximum/y', 'Const'),
        ('gradients/Mean_grad/Maximum', 'Maximum'),
        ('gradients/Mean_grad/floordiv/x', 'Const'),
        ('gradients/Mean_grad/floordiv', 'FloorDiv'),
        ('gradients/Mean_grad/Reshape/shape', 'Const'),
        ('gradients/Mean_grad/Reshape', 'Reshape'),
        ('gradients/Mean_grad/Tile/multiples', 'Const'),
        ('gradients/Mean_grad/Tile', 'Tile'),
        ('gradients/Mean_grad/Const', 'Const'),
        ('gradients/Mean_grad/truediv', 'RealDiv'),
        ('gradients/Max_grad/Shape', 'Const'),
        ('gradients/Max_grad/Reshape/shape', 'Const'),
        ('gradients/Max_grad/Reshape', 'Reshape'),
        ('gradients/Max_grad/Reshape_1/shape', 'Const'),
        ('gradients/Max_grad/Reshape_1', 'Reshape'),
        ('gradients/Max_grad/Equal', 'Equal'),
        ('gradients/Max_grad/Cast', 'Cast'),
        ('gradients/Max_grad/Sum', 'Sum'),
        ('gradients/Max_grad/Reshape_2/shape', 'Const'),
        ('gradients/Max_grad/Reshape_2', 'Reshape'),
        ('gradients/Max_grad/truediv', 'RealDiv'),
        ('gradients/Max_grad/mul', 'Mul'),
        ('gradients/Sum_grad/Reshape/shape', 'Const'),
        ('gradients/Sum_grad/Reshape', 'Reshape'),
        ('gradients/Sum_grad/Tile/multiples', 'Const'),
        ('gradients/Sum_grad/Tile', 'Tile'),
        ('gradients/Sum_1_grad/Reshape/shape', 'Const'),
        ('gradients/Sum_1_grad/Reshape', 'Reshape'),
        ('gradients/Sum_1_grad/Tile/multiples', 'Const'),
        ('gradients/Sum_1_grad/Tile', 'Tile'),
        ('gradients/mul_grad/Mul', 'Mul'),
        ('gradients/mul_grad/Mul_1', 'Mul'),
        ('gradients/AddN', 'AddN'),
        ('gradients/AddN_1', 'AddN'),
    ],
    'reductions_unknown': [
        ('gradients/Shape', 'Shape'),
        ('gradients/grad_ys_0/Const', 'Const'),
        ('gradients/grad_ys_0', 'Fill'),
        ('gradients/Shape_1', 'Shape'),
        ('gradients/grad_ys_1/Const', 'Const'),
        ('gradients/grad_ys_1', 'Fill'),
        ('gradients/Shape_2', 'Const'),
        ('gradients/grad_ys_2/Const', 'Const'),
        ('gradients/grad_ys_2', 'Fill'),
        ('gradients/Sum_grad/Shape', 'Shape'),
        ('gradients/Sum_grad/Size', 'Size'),
        ('gradients/Sum_grad/add', 'AddV2'),
        ('gradients/Sum_grad/mod', 'FloorMod'),
        ('gradients/Sum_grad/Shape_1', 'Const'),
        ('gradients/Sum_grad/range/start', 'Const'),
        ('gradients/Sum_grad/range/delta', 'Const'),
        ('gradients/Sum_grad/range', 'Range'),
        ('gradients/Sum_grad/ones/Const', 'Const'),
        ('gradients/Sum_grad/ones', 'Fill'),
        ('gradients/Sum_grad/DynamicStitch', 'DynamicStitch'),
        ('gradients/Sum_grad/Reshape', 'Reshape'),
        ('gradients/Sum_grad/BroadcastTo', 'BroadcastTo'),
        ('gradients/Min_grad/Shape', 'Shape'),
        ('gradients/Min_grad/Size', 'Const'),
        ('gradients/Min_grad/add', 'AddV2'),
        ('gradients/Min_grad/mod', 'FloorMod'),
        ('gradients/Min_grad/Shape_1', 'Const'),
        ('gradients/Min_grad/range/start', 'Const'),
        ('gradients/Min_grad/range/delta', 'Const'),
        ('gradients/Min_grad/range', 'Range'),
        ('gradients/Min_grad/ones/Const', 'Const'),
        ('gradients/Min_grad/ones', 'Fill'),
        ('gradients/Min_grad/DynamicStitch', 'DynamicStitch'),
        ('gradients/Min_grad/Reshape', 'Reshape'),
        ('gradients/Min_grad/Reshape_1', 'Reshape'),
        ('gradients/Min_grad/Equal', 'Equal'),
        ('gradients/Min_grad/Cast', 'Cast'),
        ('gradients/Min_grad/Sum', 'Sum'),
        ('gradients/Min_grad/Reshape_2', 'Reshape'),
        ('gradients/Min_grad/truediv', 'RealDiv'),
        ('gradients/Min_grad/mul', 'Mul'),
        ('gradients/Sum_1_grad/Reshape/shape', 'Const'),
        ('gradients/Sum_1_grad/Reshape', 'Reshape'),
        ('gradients/Sum_1_grad/Shape', 'Shape'),
        ('gradients/Sum_1_grad/Tile', 'Tile'),
        ('gradients/AddN', 'AddN'),
    ],
    'array_ops': [
        ('gradients/Shape', 'Shape'),
        ('gradients/grad_ys_0/Const', 'Const'),
        ('gradients/grad_ys_0', 'Fill'),
        ('gradients/Shape_1', 'Const'),
        ('gradients/grad_ys_1/Const', 'Const'),
        ('gradients/grad_ys_1', 'Fill'),
        ('gradients/Shape_2', 'Const'),
        ('gradients/grad_ys_2/Const', 'Const'),
        ('gradients/grad_ys_2', 'Fill'),
        ('gradients/Tile_grad/Shape', 'Shape'),
        ('gradients/Tile_grad/stack', 'Pack'),
        ('gradients/Tile_grad/transpose/perm', 'Const'),
        ('gradients/Tile_grad/transpose', 'Transpose'),
        ('gradients/Tile_grad/Reshape/shape', 'Const'),
        ('gradients/Tile_grad/Reshape', 'Reshape'),
        ('gradients/Tile_grad/Size', 'Const'),
        ('gradients/Tile_grad/range/start', 'Const'),
        ('gradients/Tile_grad/range/delta', 'Const'),
        ('gradients/Tile_grad/range', 'Range'),
        ('gradients/Tile_grad/Reshape_1', 'Reshape'),
        ('gradients/Tile_grad/Sum', 'Sum'),
        ('gradients/zeros_like', 'ZerosLike'),
        ('gradients/unstack_grad/stack', 'Pack'),
        ('gradients/Fill_grad/Const', 'Const'),
        ('gradients/Fill_grad/Sum', 'Sum'),
        ('gradients/Reshape_grad/Reshape/shape', 'Const'),
        ('gradients/Reshape_grad/Reshape', 'Reshape'),
        ('gradients/stack_grad/unstack', 'Unpack'),
        ('gradients/Sum_grad/Reshape/shape', 'Const'),
        ('gradients/Sum_grad/Reshape', 'Reshape'),
        ('gradients/Sum_grad/Const', 'Const'),
        ('gradients/Sum_grad/Tile', 'Tile'),
        ('gradients/transpose_grad/InvertPermutation', 'InvertPermutation'),
        ('gradients/transpose_grad/transpose', 'Transpose'),
        ('gradients/AddN', 'AddN'),
        ('gradients/BroadcastTo_grad/Shape', 'Const'),
        ('gradients/BroadcastTo_grad/Const', 'Const'),
        ('gradients/BroadcastTo_grad/BroadcastGradientArgs', 'BroadcastGradientArgs'),
        ('gradients/BroadcastTo_grad/Sum', 'Sum'),
        ('gradients/BroadcastTo_grad/Reshape', 'Reshape'),
        ('gradients/AddN_1', 'AddN'),
    ],
    'mlp': [
        ('gradients/Shape', 'Const'),
        ('gradients/grad_ys_0/Const', 'Const'),
        ('gradients/grad_ys_0', 'Fill'),
        ('gradients/Mean_grad/Reshape/shape', 'Const'),
        ('gradients/Mean_grad/Reshape', 'Reshape'),
        ('gradients/Mean_grad/Const', 'Const'),
        ('gradients/Mean_grad/Tile', 'Tile'),
        ('gradients/Mean_grad/Const_1', 'Const'),
        ('gradients/Mean_grad/truediv', 'RealDiv'),
        ('gradients/Mean_1_grad/Reshape/shape', 'Const'),
        ('gradients/Mean_1_grad/Reshape', 'Reshape'),
        ('gradients/Mean_1_grad/Const', 'Const'),
        ('gradients/Mean_1_grad/Tile', 'Tile'),
        ('gradients/Mean_1_grad/Const_1', 'Const'),
        ('gradients/Mean_1_grad/truediv', 'RealDiv'),
        ('gradients/Square_grad/Const', 'Const', ['gradients/Mean_grad/truediv']),
        ('gradients/Square_grad/Mul', 'Mul'),
        ('gradients/Square_grad/Mul_1', 'Mul'),
        ('gradients/mul_grad/Mul', 'Mul'),
        ('gradients/mul_grad/Mul_1', 'Mul'),
        ('gradients/sub_grad/Neg', 'Neg'),
        ('gradients/sub_grad/Shape', 'Const'),
        ('gradients/sub_grad/Shape_1', 'Const'),
        ('gradients/sub_grad/Sum/reduction_indices', 'Const'),
        ('gradients/sub_grad/Sum', 'Sum'),
        ('gradients/sub_grad/Reshape', 'Reshape'),
        ('gradients/Sigmoid_grad/SigmoidGrad', 'SigmoidGrad'),
        ('gradients/Exp_grad/mul', 'Mul'),
        ('gradients/Neg_grad/Neg', 'Neg'),
        ('gradients/AddN', 'AddN'),
        ('gradients/MatMul_1_grad/MatMul', 'BatchMatMulV2'),
        ('gradients/MatMul_1_grad/MatMul_1', 'BatchMatMulV2'),
        ('gradients/Reshape_grad/Shape', 'Const'),
        ('gradients/Reshape_grad/Reshape', 'Reshape'),
        ('gradients/AddN_1', 'AddN'),
        ('gradients/Relu_grad/ReluGrad', 'ReluGrad'),
        ('gradients/add_grad/Shape', 'Const'),
        ('gradients/add_grad/Shape_1', 'Const'),
        ('gradients/add_grad/Sum/reduction_indices', 'Const'),
        ('gradients/add_grad/Sum', 'Sum'),
        ('gradients/add_grad/Reshape', 'Reshape'),
        ('gradients/MatMul_grad/MatMul', 'MatMul'),
        ('gradients/MatMul_grad/MatMul_1', 'MatMul'),
    ],
}


def _gradient_ops(source):
    g = tf.Graph()
    with g.as_default():
        exec(source, {"tf": tf})
    out = []
    for op in g.get_operations():
        if not op.name.split("/")[0].startswith("gradients"):
            continue
        controls = [c.name for c in op.control_inputs]
        out.append((op.name, op.type, controls) if controls else (op.name, op.type))
    return out


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_gradient_graph_matches_tf(name):
    assert _gradient_ops(PROGRAMS[name]) == EXPECTED[name]
