# Copyright (c) mmlt contributors. All rights reserved.
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.registry import MODELS


def is_multi_view(inputs) -> bool:
    """Whether collated inputs hold several views of every image.

    mmpretrain's ``MultiView`` + ``PackInputs`` give every sample a list of
    views; collated, that is a list over views of per-sample lists
    (``pseudo_collate``) or of ``(N, C, H, W)`` tensors
    (``default_collate``).
    """
    if not isinstance(inputs, (list, tuple)) or not inputs:
        return False
    first = inputs[0]
    return isinstance(first,
                      (list, tuple)) or getattr(first, 'dim', lambda: 0)() == 4


@MODELS.register_module()
class MultiViewClsDataPreprocessor(ClsDataPreprocessor):
    """:class:`ClsDataPreprocessor` for batches with several views per
    image (e.g. PaCo's query and key views).

    Every view is normalised (and padded, stacked) as the parent does with a
    single batch; the model receives ``inputs`` as a list of ``(N, C, H,
    W)`` tensors, one per view, and the labels once. Single-view batches
    (validation, test) pass through the parent unchanged. Arguments are
    those of :class:`ClsDataPreprocessor`; batch augments (Mixup, CutMix)
    are refused for several views, which they would mix differently.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        """Pre-process a batch; see the class docstring."""
        inputs = data['inputs']
        if not is_multi_view(inputs):
            return super().forward(data, training)
        if training and self.batch_augments is not None:
            raise ValueError(
                f'{type(self).__name__}: batch augments (Mixup/CutMix) '
                f'are not supported with several views per image; drop '
                f'`batch_augments` from data_preprocessor.')
        samples = data.get('data_samples')
        views = []
        for view in inputs:
            out = super().forward(
                dict(inputs=view, data_samples=samples), training)
            views.append(out['inputs'])
            samples = out['data_samples']
        return dict(inputs=views, data_samples=samples)
