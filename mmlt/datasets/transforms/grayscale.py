# Copyright (c) mmlt contributors. All rights reserved.
import numpy as np
from mmcv.image import bgr2gray, rgb2gray
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS


def to_grayscale(img: np.ndarray, channel_order: str = 'bgr') -> np.ndarray:
    """Convert a colour image to one channel; leave a gray one as it is.

    Args:
        img (np.ndarray): ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` or
            ``(H, W, 4)`` (the alpha channel is dropped).
        channel_order (str): The order of a 3-channel image, ``'bgr'`` (what
            mmcv's ``imread`` returns) or ``'rgb'``. Defaults to ``'bgr'``.

    Returns:
        np.ndarray: ``(H, W)`` for a colour image (ITU-R 601 luma, in the
        input's dtype), else the input unchanged.
    """
    if channel_order not in ('bgr', 'rgb'):
        raise ValueError(f"to_grayscale: channel_order must be 'bgr' or "
                         f"'rgb', got {channel_order!r}.")
    if img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 1):
        return img
    if img.ndim != 3 or img.shape[2] not in (3, 4):
        raise ValueError(f'to_grayscale: expected an (H, W), (H, W, 1), '
                         f'(H, W, 3) or (H, W, 4) image, got shape '
                         f'{img.shape}.')
    colour = np.ascontiguousarray(img[..., :3])
    convert = bgr2gray if channel_order == 'bgr' else rgb2gray
    return convert(colour)


@TRANSFORMS.register_module()
class ToGrayscale(BaseTransform):
    """Give 1-channel models a 1-channel image, whatever was loaded.

    Datasets such as Fashion-MNIST yield ``(H, W)`` arrays, which pass
    unchanged; an image file read by ``LoadImageFromFile`` or by mmpretrain's
    ``ImageClassificationInferencer`` is ``(H, W, 3)`` BGR and is converted
    to luma. Put it first in the test pipeline of a grayscale dataset so
    inference on image paths matches the data the model was trained on.

    Required keys: ``img``. Modified keys: ``img``, ``img_shape``.

    Args:
        channel_order (str): Order of 3-channel inputs, ``'bgr'`` or
            ``'rgb'``. Defaults to ``'bgr'``.
    """

    def __init__(self, channel_order: str = 'bgr') -> None:
        to_grayscale(np.zeros((1, 1), np.uint8), channel_order)
        self.channel_order = channel_order

    def transform(self, results: dict) -> dict:
        img = to_grayscale(results['img'], self.channel_order)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(channel_order={self.channel_order!r})'
