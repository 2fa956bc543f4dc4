"""symgrad: TensorFlow-1.x-style graphs and symbolic gradients on a Rust core.

``import symgrad as tf`` gives the ``tf.compat.v1`` graph-mode surface. The submodules
``symgrad.errors``, ``symgrad.dtypes``, ``symgrad.tensor_shape``, ``symgrad.nest`` and
``symgrad.config_pb2`` are pure Python and import without the native module; everything else
needs ``symgrad._symgrad``.
"""

from __future__ import annotations

import builtins
from typing import Any

from . import dtypes, errors, nest, tensor_shape
from .config_pb2 import (ConfigProto, GPUOptions, GraphOptions, OptimizerOptions, RunMetadata,
                         RunOptions)
from .dtypes import (DType, as_dtype, bool, double, float16, float32, float64, half, int8,
                     int16, int32, int64, uint8)
from .dtypes import complex64, complex128, string
from .tensor_shape import (Dimension, TensorShape, disable_v2_tensorshape,
                           enable_v2_tensorshape)

__version__ = "0.1.0"

_PURE = [
    "errors", "dtypes", "DType", "as_dtype", "float16", "half", "float32", "float64", "double",
    "int8", "int16", "int32", "int64", "uint8", "bool", "TensorShape", "Dimension",
]
_PURE += ["complex64", "complex128"]
_PURE += ["string", "nest", "enable_v2_tensorshape", "disable_v2_tensorshape"]

_NATIVE = [
    # graph and names
    "Graph", "Operation", "Tensor", "get_default_graph", "reset_default_graph", "name_scope",
    "device", "colocate_with", "control_dependencies",
    "register_tensor_conversion_function",
    # making tensors
    "constant", "convert_to_tensor", "convert_to_tensor_or_indexed_slices", "placeholder",
    "placeholder_with_default", "zeros", "ones", "zeros_like", "ones_like", "fill", "range",
    # array ops
    "identity", "identity_n", "stop_gradient", "reshape", "transpose", "invert_permutation",
    "expand_dims", "squeeze", "shape", "size", "rank", "split", "unstack", "stack", "concat",
    "tile", "broadcast_to", "newaxis", "slice", "pad",
    # indexing ops
    "gather", "gather_nd", "scatter_nd", "one_hot", "unsorted_segment_sum", "strided_slice",
    # math ops
    "add", "subtract", "multiply", "divide", "truediv", "div", "realdiv", "floordiv", "div_no_nan",
    "floor_div", "mod", "floormod", "pow", "maximum", "minimum", "squared_difference",
    "negative", "abs", "sign", "square", "sqrt", "rsqrt", "exp", "log", "log1p", "reciprocal",
    "sin", "cos", "tanh", "sigmoid", "expm1", "tan", "floor", "ceil", "round", "less",
    "less_equal", "greater", "greater_equal", "equal", "not_equal", "logical_and", "logical_or", "logical_not", "cast", "to_float", "to_double",
    "to_int32", "to_int64", "where", "where_v2", "reduce_sum", "reduce_mean", "reduce_max",
    "reduce_min", "reduce_prod", "matmul", "add_n", "accumulate_n",
    # math added with the nn family
    "erf", "atan2", "reduce_any", "reduce_all", "reduce_logsumexp", "clip_by_value", "norm",
    # along an axis, and random ops
    "reverse", "reverse_v2", "cumsum", "cumprod", "argmax", "argmin", "sort", "argsort",
    "linspace", "lin_space", "eye", "einsum", "tensordot", "random_normal", "random_uniform",
    "truncated_normal", "random_shuffle", "set_random_seed",
    # grouping
    "no_op", "group", "tuple",
    # differentiation
    "gradients", "hessians", "AggregationMethod", "UnconnectedGradients", "RegisterGradient",
    "NotDifferentiable", "NoGradient", "no_gradient", "custom_gradient", "IndexedSlices",
    "IndexedSlicesValue",
    # running
    "Session", "InteractiveSession", "get_default_session", "ConfigProto", "GPUOptions",
    "GraphOptions", "OptimizerOptions", "RunOptions", "RunMetadata",
    # submodules and mode switches
    "nn", "disable_eager_execution", "executing_eagerly",
    # eager execution
    "enable_eager_execution", "eager_mode", "graph_mode", "EagerTensor", "GradientTape",
    "function", "TensorSpec",
    # variables, training and clipping
    "Variable", "VariableV1", "VariableScope", "GraphKeys", "AUTO_REUSE", "get_variable",
    "variable_scope", "get_variable_scope", "global_variables", "trainable_variables",
    "local_variables", "all_variables", "global_variables_initializer",
    "local_variables_initializer", "initialize_all_variables", "variables_initializer", "initialize_variables",
    "is_variable_initialized", "assign", "assign_add", "assign_sub", "scatter_add",
    "scatter_sub", "scatter_update", "zeros_initializer",
    "ones_initializer", "constant_initializer", "random_normal_initializer",
    "truncated_normal_initializer", "random_uniform_initializer",
    "glorot_uniform_initializer", "glorot_normal_initializer", "variance_scaling_initializer",
    "initializers", "train", "global_norm", "moving_average_variables",
    "tables_initializer", "report_uninitialized_variables", "make_template",
    "orthogonal_initializer", "py_function", "disable_v2_behavior",
    "enable_v2_behavior",
    "clip_by_global_norm", "add_to_collection", "add_to_collections", "get_collection", "get_collection_ref",
    # tf.compat.v1 namespaces and helpers that TF 1 programs reach for
    "compat", "math", "random", "logging", "losses", "app", "flags", "clip_by_norm", "sequence_mask",
    "boolean_mask", "logical_xor",
    # control flow and run-time checks
    "cond", "case", "Assert", "assert_equal", "assert_none_equal", "assert_less",
    "assert_less_equal", "assert_greater", "assert_greater_equal", "assert_positive",
    "assert_negative", "assert_non_negative", "assert_non_positive", "assert_rank",
    "assert_rank_at_least", "assert_type", "assert_scalar", "check_numerics",
    "verify_tensor_all_finite", "Print", "debugging",
    # tf.test
    "test",
    # rearranging elements, shape helpers
    "space_to_depth", "depth_to_space", "space_to_batch_nd", "batch_to_space_nd",
    "space_to_batch", "batch_to_space", "roll", "manip", "reverse_sequence",
    "tensor_scatter_nd_update", "tensor_scatter_nd_add", "tensor_scatter_nd_sub",
    "tensor_scatter_update", "tensor_scatter_add", "tensor_scatter_sub",
    "broadcast_dynamic_shape", "broadcast_static_shape", "shape_n", "parallel_stack",
    "unravel_index", "extract_image_patches", "image",
    # special math (special_math_ops.py)
    "sinh", "cosh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "lgamma", "digamma",
    "erfc", "rint", "is_nan", "is_inf", "is_finite", "truncatediv", "truncatemod", "igamma",
    "igammac", "polygamma", "zeta", "betainc", "count_nonzero", "log_sigmoid", "scalar_mul",
    "lbeta",
    # linear algebra (tf.linalg and its TF 1 top-level names)
    "linalg", "matrix_inverse", "matrix_determinant", "matrix_solve", "matrix_triangular_solve",
    "cholesky", "cholesky_solve", "trace", "matrix_transpose", "matrix_band_part", "diag",
    "diag_part", "matrix_diag", "matrix_diag_part", "matrix_set_diag", "matrix_solve_ls",
    # segment reductions
    "segment_sum", "segment_mean", "segment_max", "segment_min", "segment_prod",
    "unsorted_segment_max", "unsorted_segment_min", "unsorted_segment_prod",
    "unsorted_segment_mean", "unsorted_segment_sqrt_n",
    # legacy layers, streaming metrics, Python functions as ops
    "layers", "metrics", "py_func", "numpy_function",
    # partitioning, counting, searching (partition_ops.py)
    "dynamic_partition", "unique", "unique_with_counts", "bincount", "confusion_matrix",
    "searchsorted",
    # loops (while_ops.py)
    "while_loop", "map_fn", "scan", "foldl", "foldr",
]
_NATIVE += ["strings", "string_join", "as_string", "substr", "print"]
_NATIVE += ["summary", "Summary", "SummaryMetadata", "HistogramProto", "Event", "SessionLog",
            "LogMessage", "GraphDef", "NodeDef", "AttrValue", "MetaGraphDef"]
_NATIVE += ["random_crop", "saturate_cast", "self_adjoint_eig",
            "self_adjoint_eigvals", "qr", "svd"]
_NATIVE += ["TensorArray"]
_NATIVE += ["data"]
_NATIVE += ["io", "python_io", "sparse", "SparseTensor", "SparseTensorValue",
            "sparse_placeholder", "sparse_to_dense", "sparse_tensor_to_dense",
            "FixedLenFeature", "FixedLenSequenceFeature", "VarLenFeature", "parse_example",
            "parse_single_example", "decode_raw", "decode_csv", "read_file", "write_file",
            "matching_files"]
_NATIVE += ["QueueBase", "FIFOQueue", "RandomShuffleQueue", "PaddingFIFOQueue", "ReaderBase",
            "TFRecordReader", "TextLineReader", "FixedLengthRecordReader", "WholeFileReader",
            "queue", "SparseTensorSpec", "parse_single_sequence_example", "gfile",
            "sparse_tensor_dense_matmul", "sparse_retain", "sparse_reorder",
            "sparse_reduce_sum", "sparse_add"]
_NATIVE += ["bitwise", "multinomial", "random_gamma", "random_poisson"]
_NATIVE += ["histogram_fixed_width", "meshgrid"]
_NATIVE += ["dimension_value", "dimension_at_index", "is_tensor", "arg_max", "arg_min",
            "initialize_all_tables", "initialize_local_variables", "model_variables",
            "no_regularizer"]
_NATIVE += ["distributions", "repeat", "ensure_shape", "get_static_value", "import_graph_def",
            "make_ndarray", "make_tensor_proto"]
_NATIVE += ["saved_model", "graph_util", "config", "get_logger", "init_scope", "get_seed", "dynamic_stitch",
            "VariableSynchronization", "VariableAggregation", "assert_near", "assert_integer",
            "assert_rank_in", "assert_same_float_dtype", "assert_proper_iterable",
            "is_numeric_tensor", "is_non_decreasing", "is_strictly_increasing", "setdiff1d"]
_NATIVE += ["sparse_reshape", "sparse_concat", "sparse_split", "sparse_slice",
            "sparse_transpose", "sparse_fill_empty_rows", "sparse_reduce_max",
            "sparse_reduce_max_sparse", "sparse_reduce_sum_sparse", "sparse_softmax",
            "sparse_to_indicator", "sparse_merge", "sparse_maximum", "sparse_minimum",
            "sparse_reset_shape", "sparse_mask", "sparse_segment_sum", "sparse_segment_mean",
            "sparse_segment_sqrt_n"]
_NATIVE += ["scatter_nd_update", "scatter_nd_add", "scatter_nd_sub", "count_up_to",
            "get_local_variable", "uniform_unit_scaling_initializer", "clip_by_average_norm",
            "op_scope", "variable_op_scope", "convert_to_tensor_or_sparse_tensor",
            "assert_variables_initialized", "add_check_numerics_ops",
            "histogram_fixed_width_bins", "batch_gather", "guarantee_const", "timestamp",
            "is_symbolic_tensor", "cross"]
_NATIVE += ["complex", "real", "imag", "conj", "angle"]
_NATIVE += ["signal", "spectral", "fft", "ifft", "fft2d", "ifft2d", "fft3d", "ifft3d"]
_NATIVE += ["string_split", "string_strip", "string_to_number", "string_to_hash_bucket_fast",
            "regex_replace", "reduce_join", "decode_base64", "encode_base64",
            "resource_variables_enabled", "enable_resource_variables",
            "disable_resource_variables", "control_flow_v2_enabled", "enable_control_flow_v2",
            "disable_control_flow_v2", "enable_tensor_equality", "disable_tensor_equality",
            "executing_eagerly_outside_functions"]
_NATIVE += ["raw_ops", "matrix_square_root"]

__all__ = _PURE + _NATIVE

try:
    from . import _symgrad  # noqa: F401 - the native core
except ImportError as _error:  # pragma: no cover - exercised only without a build
    _NATIVE_IMPORT_ERROR: ImportError | None = _error
else:
    _NATIVE_IMPORT_ERROR = None

if _NATIVE_IMPORT_ERROR is None:
    globals().pop("__getattr__", None)  # left over if the package is reloaded after a build
    from . import nn
    from ._nn_math import (atan2, clip_by_value, erf, norm, reduce_all, reduce_any,
                           reduce_logsumexp)
    from .array_ops import (broadcast_to, concat, expand_dims, fill, identity, identity_n,
                            invert_permutation, newaxis, ones, ones_like, pad, placeholder,
                            placeholder_with_default, rank, reshape, shape, size, slice,
                            split, squeeze, stack, stop_gradient, tile, transpose, unstack,
                            zeros, zeros_like)
    from .array_ops import (gather, gather_nd, one_hot, scatter_nd, strided_slice,
                            unsorted_segment_sum)
    from .constant_op import (constant, convert_to_tensor,
                              convert_to_tensor_or_indexed_slices)
    from .control_flow_ops import group, no_op, tuple
    from .framework import (Graph, Operation, Tensor, colocate_with, control_dependencies,
                            device, get_default_graph, name_scope,
                            register_tensor_conversion_function, reset_default_graph)
    from .gradients_impl import (AggregationMethod, NoGradient, NotDifferentiable,
                                 RegisterGradient, UnconnectedGradients, custom_gradient,
                                 gradients, hessians, no_gradient)
    from .indexed_slices import IndexedSlices, IndexedSlicesValue
    from .math_ops import (abs, accumulate_n, add, add_n, cast, ceil, cos, div, div_no_nan, divide,
                           equal, exp, expm1, floor, floor_div, floordiv, floormod, greater,
                           greater_equal, less, less_equal, log, log1p, logical_and,
                           logical_not, logical_or, logical_xor, matmul, maximum, minimum, mod,
                           multiply,
                           negative, not_equal, pow, range, realdiv, reciprocal, reduce_max,
                           reduce_mean, reduce_min, reduce_prod, reduce_sum, round, rsqrt, sign,
                           sigmoid, sin, sqrt, square, squared_difference, subtract, tan, tanh,
                           to_double, to_float, to_int32, to_int64, truediv, where, where_v2)
    from .session import InteractiveSession, Session, get_default_session
    from .complex_ops import angle, complex, conj, imag, real
    from . import signal
    from . import signal as spectral
    from .signal import fft, fft2d, fft3d, ifft, ifft2d, ifft3d
    from . import initializers, train
    from .clip_ops import clip_by_global_norm, clip_by_norm, global_norm
    from .embedding_ops import sequence_mask
    from .variables import (AUTO_REUSE, GraphKeys, Variable, VariableScope, VariableV1,
                            all_variables, assign, assign_add, assign_sub,
                            scatter_add, scatter_sub, scatter_update,
                            constant_initializer, get_variable, get_variable_scope,
                            global_variables, global_variables_initializer,
                            glorot_normal_initializer, glorot_uniform_initializer,
                            initialize_all_variables, initialize_variables,
                            is_variable_initialized, local_variables,
                            local_variables_initializer, ones_initializer,
                            random_normal_initializer, random_uniform_initializer,
                            trainable_variables, truncated_normal_initializer,
                            variable_scope, variance_scaling_initializer, variables_initializer, zeros_initializer)

    def add_to_collection(name: str, value: Any) -> None:
        get_default_graph().add_to_collection(name, value)

    def add_to_collections(names: Any, value: Any) -> None:
        get_default_graph().add_to_collections(names, value)

    def get_collection(key: str, scope: Any = None) -> list[Any]:
        return get_default_graph().get_collection(key, scope)

    def get_collection_ref(key: str) -> list[Any]:
        return get_default_graph().get_collection_ref(key)
    from .array_ops import boolean_mask, reverse, reverse_v2
    from .framework import set_random_seed
    from .math_ops import (argmax, argmin, argsort, cumprod, cumsum, einsum, eye, lin_space,
                           linspace, sort, tensordot)
    from .random_ops import random_normal, random_shuffle, random_uniform, truncated_normal

    from .eager import (EagerTensor, GradientTape, TensorSpec, disable_eager_execution,
                        eager_mode, enable_eager_execution, executing_eagerly, function,
                        graph_mode)
    from . import app, compat, logging, losses, math, random
    from . import debugging
    from .check_ops import (Assert, Print, assert_equal, assert_greater, assert_greater_equal,
                            assert_less, assert_less_equal, assert_negative,
                            assert_non_negative, assert_non_positive, assert_none_equal,
                            assert_positive, assert_rank, assert_rank_at_least, assert_scalar,
                            assert_type, check_numerics, verify_tensor_all_finite)
    from .cond_ops import case, cond
    from .string_ops import as_string, string_join, strings, substr
    from .string_ops import print_v2 as print  # noqa: A001 - TF's public name
    from .app import flags
    from . import test
    from .layout_ops import (batch_to_space, batch_to_space_nd, broadcast_dynamic_shape,
                             broadcast_static_shape, depth_to_space, parallel_stack,
                             reverse_sequence, roll, shape_n, space_to_batch,
                             space_to_batch_nd, space_to_depth, tensor_scatter_add,
                             tensor_scatter_nd_add, tensor_scatter_nd_sub,
                             tensor_scatter_nd_update, tensor_scatter_sub,
                             tensor_scatter_update, unravel_index)
    from .layout_ops import extract_image_patches
    from . import image, manip
    from .math import log_sigmoid
    from .special_math_ops import (acos, acosh, asin, asinh, atan, atanh, betainc, cosh,
                                   count_nonzero, digamma, erfc, igamma, igammac, is_finite,
                                   is_inf, is_nan, lbeta, lgamma, polygamma, rint,
                                   scalar_mul, sinh, truncatediv, truncatemod, zeta)
    from . import linalg
    from .linalg import (cholesky, cholesky_solve, matrix_transpose, trace)
    from .linalg import band_part as matrix_band_part
    from .linalg import det as matrix_determinant
    from .linalg import diag as matrix_diag
    from .linalg import diag_part as matrix_diag_part
    from .linalg import inv as matrix_inverse
    from .linalg import lstsq as matrix_solve_ls
    from .linalg import set_diag as matrix_set_diag
    from .linalg import solve as matrix_solve
    from .linalg import tensor_diag as diag
    from .linalg import tensor_diag_part as diag_part
    from .linalg import triangular_solve as matrix_triangular_solve
    from .segment_ops import (segment_max, segment_mean, segment_min, segment_prod,
                              segment_sum, unsorted_segment_max, unsorted_segment_mean,
                              unsorted_segment_min, unsorted_segment_prod,
                              unsorted_segment_sqrt_n)
    from . import layers, metrics
    from .script_ops import numpy_function, py_func
    from .partition_ops import (bincount, confusion_matrix, dynamic_partition, searchsorted,
                                unique, unique_with_counts)
    from .while_ops import foldl, foldr, map_fn, scan, while_loop
    from . import summary
    from .summary_pb2 import (AttrValue, Event, GraphDef, HistogramProto, LogMessage,
                              MetaGraphDef, NodeDef, SessionLog, Summary, SummaryMetadata)
    from .image_ops import random_crop, saturate_cast
    from .linalg import eigh as self_adjoint_eig
    from .linalg import eigvalsh as self_adjoint_eigvals
    from .linalg import qr, svd
    from .tensor_array_ops import TensorArray
    from . import data
    from .train.moving_averages import moving_average_variables
    from .train.monitored_session import report_uninitialized_variables, tables_initializer
    from .template import make_template
    from .init_orthogonal import orthogonal_initializer
    from . import gfile, io
    from .script_ops import py_function
    from .v2_behavior import disable_v2_behavior, enable_v2_behavior
    from . import io, python_io, sparse
    from .io_ops import matching_files, read_file, write_file
    from .parsing_ops import (FixedLenFeature, FixedLenSequenceFeature, VarLenFeature,
                              decode_csv, decode_raw, parse_example, parse_single_example,
                              parse_single_sequence_example)
    from .sparse_tensor import (SparseTensor, SparseTensorSpec, SparseTensorValue,
                                sparse_placeholder, sparse_tensor_to_dense, sparse_to_dense)
    from .data_flow_ops import FIFOQueue, PaddingFIFOQueue, QueueBase, RandomShuffleQueue
    from .io_readers import (FixedLengthRecordReader, ReaderBase, TextLineReader,
                             TFRecordReader, WholeFileReader)
    from . import gfile, queue
    from .sparse_ops import (sparse_add, sparse_reduce_sum, sparse_reorder, sparse_retain,
                             sparse_tensor_dense_matmul)
    from . import bitwise
    from .random_sampling import multinomial, random_gamma, random_poisson
    from .extra_math_ops import histogram_fixed_width, meshgrid
    from .compat import dimension_at_index, dimension_value
    from .framework import is_tensor
    from .math_ops import arg_max, arg_min
    from .train.monitored_session import tables_initializer as initialize_all_tables
    from .variables import initialize_local_variables, model_variables, no_regularizer
    from . import distributions
    from .repeat_ops import repeat
    from .array_ops import ensure_shape
    from .static_value import get_static_value
    from .importer import import_graph_def, make_ndarray, make_tensor_proto
    from . import config, graph_util, saved_model
    from .logging import get_logger
    from .framework import init_scope
    from .random_ops import get_seed
    from .partition_ops import dynamic_stitch
    from .math_ops import setdiff1d
    from .sparse_more import (sparse_concat, sparse_fill_empty_rows, sparse_mask,
                              sparse_maximum, sparse_merge, sparse_minimum, sparse_reduce_max,
                              sparse_reduce_max_sparse, sparse_reduce_sum_sparse,
                              sparse_reset_shape, sparse_reshape, sparse_segment_mean,
                              sparse_segment_sqrt_n, sparse_segment_sum, sparse_slice,
                              sparse_softmax, sparse_split, sparse_to_indicator,
                              sparse_transpose)
    from .misc_ops import (add_check_numerics_ops, assert_variables_initialized, batch_gather,
                           clip_by_average_norm, convert_to_tensor_or_sparse_tensor,
                           count_up_to, get_local_variable, guarantee_const,
                           histogram_fixed_width_bins, is_symbolic_tensor, op_scope,
                           scatter_nd_add, scatter_nd_sub, scatter_nd_update, timestamp,
                           uniform_unit_scaling_initializer, variable_op_scope)
    from .linalg import cross
    from .string_more import reduce_join, regex_replace, string_split
    from .string_more import strip as string_strip
    from .string_more import to_hash_bucket_fast as string_to_hash_bucket_fast
    from .string_more import to_number as string_to_number
    from .string_more import decode_base64, encode_base64
    from .v2_behavior import (control_flow_v2_enabled, disable_control_flow_v2,
                              disable_resource_variables, disable_tensor_equality,
                              enable_control_flow_v2, enable_resource_variables,
                              enable_tensor_equality, executing_eagerly_outside_functions,
                              resource_variables_enabled)
    from .variables import VariableAggregation, VariableSynchronization
    from .check_ops import (assert_integer, assert_near, assert_proper_iterable,
                            assert_rank_in, assert_same_float_dtype, is_non_decreasing,
                            is_numeric_tensor, is_strictly_increasing)
    from . import raw_ops
    from .linalg import sqrtm as matrix_square_root
else:
    def __getattr__(name: str) -> Any:
        if name in _NATIVE:
            raise ImportError(
                f"symgrad.{name} needs the native module symgrad._symgrad, which failed to "
                f"import: {_NATIVE_IMPORT_ERROR}")
        raise AttributeError(f"module 'symgrad' has no attribute {name!r}")
