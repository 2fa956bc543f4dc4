"""Non-max suppression (hard, soft, with an overlap matrix) against TF 2.21's selections on
the same inputs, and crop_and_resize against a direct numpy sampling, with its gradients
(image and boxes) against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from gradient_checker import compute_gradient, run_once

import symgrad as tf


def _inputs():
    rng = np.random.RandomState(0)
    corner = rng.rand(30, 2) * 10
    size = rng.rand(30, 2) * 4 + 0.5
    boxes = np.concatenate([corner, corner + size], 1).astype(np.float32)
    boxes[3] = boxes[3][[2, 3, 0, 1]]  # corners in the other order
    return boxes, rng.rand(30).astype(np.float32), rng.rand(30, 30).astype(np.float32)


def test_selections_match_tf():
    boxes, scores, overlaps = _inputs()
    with tf.Graph().as_default():
        hard = tf.image.non_max_suppression(boxes, scores, 10, 0.3)
        above = tf.image.non_max_suppression(boxes, scores, 30, 0.5, score_threshold=0.4)
        soft, soft_scores = tf.image.non_max_suppression_with_scores(boxes, scores, 12, 0.4,
                                                                     soft_nms_sigma=0.5)
        by_matrix = tf.image.non_max_suppression_overlaps(overlaps, scores, 8, 0.5)
        assert hard.name == "non_max_suppression/NonMaxSuppressionV3:0"
        assert soft.name == "non_max_suppression_with_scores/NonMaxSuppressionV5:0"
        got = run_once([hard, above, soft, soft_scores, by_matrix])
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError,
                               match=r"iou_threshold must be in \[0, 1\]"):
                sess.run(tf.image.non_max_suppression(boxes, scores, 3, 1.5))
    # TF 2.21's results on these inputs.
    assert got[0].tolist() == [29, 2, 27, 20, 24, 0, 25, 8, 17, 18]
    assert got[1].tolist() == [29, 2, 27, 20, 24, 0, 28, 25, 8, 17, 18, 3, 10, 5, 15, 16, 1,
                               22, 19, 11, 4]
    assert got[2].tolist() == [29, 2, 27, 20, 24, 0, 25, 8, 17, 3, 18, 28]
    np.testing.assert_allclose(got[3], [0.9988, 0.9561, 0.9142, 0.8656, 0.784, 0.7252,
                                        0.6665, 0.6602, 0.6532, 0.644, 0.6436, 0.6364],
                               atol=1e-4)
    assert got[4].tolist() == [29, 23, 0]


def _sample(image, boxes, box_ind, crop, nearest=False, fill=0.0):
    _, h, w, _ = image.shape
    out = np.zeros((len(boxes), crop[0], crop[1], image.shape[3]))
    for b, (y1, x1, y2, x2) in enumerate(boxes):
        for i in range(crop[0]):
            y = (y1 * (h - 1) + i * (y2 - y1) * (h - 1) / (crop[0] - 1)) if crop[0] > 1 \
                else 0.5 * (y1 + y2) * (h - 1)
            for j in range(crop[1]):
                x = (x1 * (w - 1) + j * (x2 - x1) * (w - 1) / (crop[1] - 1)) \
                    if crop[1] > 1 else 0.5 * (x1 + x2) * (w - 1)
                if not (0 <= y <= h - 1 and 0 <= x <= w - 1):
                    out[b, i, j] = fill
                    continue
                img = image[box_ind[b]]
                if nearest:
                    out[b, i, j] = img[int(np.floor(y + 0.5)), int(np.floor(x + 0.5))]
                    continue
                t, l_ = int(np.floor(y)), int(np.floor(x))
                bo, r = int(np.ceil(y)), int(np.ceil(x))
                top = img[t, l_] + (img[t, r] - img[t, l_]) * (x - l_)
                bottom = img[bo, l_] + (img[bo, r] - img[bo, l_]) * (x - l_)
                out[b, i, j] = top + (bottom - top) * (y - t)
    return out


def test_crop_and_resize_values_and_gradients():
    rng = np.random.RandomState(1)
    image = rng.rand(2, 6, 7, 3)
    boxes = np.array([[0.1, 0.2, 0.8, 0.9], [0.5, 0.6, 0.2, 0.1], [-0.2, 0.0, 1.3, 0.5]])
    box_ind = [0, 1, 1]
    with tf.Graph().as_default():
        bilinear = tf.image.crop_and_resize(image, boxes, box_ind, [3, 4])
        nearest = tf.image.crop_and_resize(image, boxes, box_ind, [3, 4], method="nearest")
        single = tf.image.crop_and_resize(image, boxes, box_ind, [1, 1],
                                          extrapolation_value=-1.0)
        got = run_once([bilinear, nearest, single])
    np.testing.assert_allclose(got[0], _sample(image, boxes, box_ind, (3, 4)), rtol=1e-5)
    np.testing.assert_allclose(got[1], _sample(image, boxes, box_ind, (3, 4), nearest=True),
                               rtol=1e-6)
    np.testing.assert_allclose(got[2], _sample(image, boxes, box_ind, (1, 1), fill=-1.0),
                               rtol=1e-5)
    with tf.Graph().as_default():
        img = tf.placeholder(tf.float32, image.shape)
        bx = tf.placeholder(tf.float32, boxes.shape)
        out = tf.image.crop_and_resize(img, bx, box_ind, [3, 4])
        y = tf.reduce_sum(out * tf.constant(rng.rand(3, 3, 4, 3).astype(np.float32)))
        # Away from integer sample positions, where the interpolation is smooth.
        for pair in compute_gradient([img, bx], y, [image, boxes + 0.013], delta=1e-3):
            np.testing.assert_allclose(pair.theoretical, pair.numerical, atol=2e-2,
                                       err_msg=pair.x_name)
