# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
import pytest

from mmlt.datasets.transforms import ToGrayscale
from mmlt.datasets.transforms.grayscale import to_grayscale


def _luma(rgb):
    # ITU-R 601, the weights OpenCV's BGR2GRAY uses.
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def test_colour_image_becomes_luma():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    gray = to_grayscale(rgb[..., ::-1], 'bgr')
    assert gray.shape == (7, 5) and gray.dtype == np.uint8
    assert np.abs(gray.astype(float) - _luma(rgb.astype(float))).max() <= 1
    np.testing.assert_array_equal(to_grayscale(rgb, 'rgb'), gray)
    # The alpha channel is dropped.
    rgba = np.concatenate([rgb[..., ::-1], np.zeros((7, 5, 1), np.uint8)], 2)
    np.testing.assert_array_equal(to_grayscale(rgba), gray)


def test_gray_input_unchanged():
    img = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert to_grayscale(img) is img
    assert to_grayscale(img[..., None]).shape == (3, 4, 1)


def test_transform_updates_shape_and_checks_input():
    results = ToGrayscale()(dict(img=np.zeros((4, 6, 3), np.uint8)))
    assert results['img'].shape == (4, 6) and results['img_shape'] == (4, 6)
    with pytest.raises(ValueError, match='channel_order'):
        ToGrayscale(channel_order='hsv')
    with pytest.raises(ValueError, match=r'\(2, 2, 2\)'):
        to_grayscale(np.zeros((2, 2, 2), np.uint8))
