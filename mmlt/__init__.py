# Copyright (c) mmlt contributors. All rights reserved.
"""mmlt: long-tailed image classification for OpenMMLab.

Importing the package registers every mmlt module into mmpretrain's
registries, so ``custom_imports=dict(imports=['mmlt'])`` is all a config
needs, and makes mmpretrain's ``ModelHub`` load mmlt's model index, so
``mmpretrain.get_model('<mmlt config name>')`` finds mmlt's configs.
"""
import os.path as osp
import warnings

from .utils.checkpoint import allow_mmengine_checkpoints
from .version import __version__, version_info

# torch >= 2.6 loads checkpoints with ``weights_only=True``; mmengine's
# checkpoints carry a few plain Python/numpy objects that must be allowed.
allow_mmengine_checkpoints()

from . import datasets, engine, evaluation, models  # noqa: E402,F401
from .datasets import transforms  # noqa: E402,F401


def model_index_path():
    """The ``model-index.yml`` of this installation, or None.

    An installed package ships it in ``mmlt/.mim`` (with ``configs/``, the
    prefix of its config paths); a source checkout has it at the root.

    Returns:
        tuple[str, str] | None: The file and the folder its config paths
        are relative to.
    """
    package = osp.dirname(osp.abspath(__file__))
    for root in (osp.join(package, '.mim'), osp.dirname(package)):
        path = osp.join(root, 'model-index.yml')
        if osp.isfile(path) and osp.isdir(osp.join(root, 'configs')):
            return path, root
    return None


def register_model_index() -> bool:
    """Register mmlt's configs by name with mmpretrain's ``ModelHub``.

    Afterwards ``mmpretrain.get_model``, ``list_models`` and
    ``inference_model`` accept mmlt config names. Safe to call again.

    Returns:
        bool: Whether the index was found (and is registered).
    """
    from mmpretrain.apis import ModelHub
    found = model_index_path()
    if found is None:
        return False
    path, root = found
    if getattr(ModelHub, '_mmlt_model_index', None) == path:
        return True
    try:
        ModelHub.register_model_index(path, config_prefix=root)
    except ValueError as error:
        warnings.warn(f'mmlt: could not register {path} with mmpretrain\'s '
                      f'ModelHub ({error}); mmlt config names will not '
                      f'resolve in mmpretrain.get_model.')
        return False
    ModelHub._mmlt_model_index = path
    return True


def _register_with_model_hub() -> None:
    """Register the index lazily, when mmpretrain first looks a name up.

    ``ModelHub.get`` and ``list_models`` call
    ``ModelHub._register_mmpretrain_models()`` before every lookup; mmlt
    chains its own registration to it, so importing mmlt stays free of the
    index's parsing time (about 0.5 s).
    """
    from mmpretrain.apis import ModelHub
    original = ModelHub._register_mmpretrain_models
    if getattr(original, '_mmlt_chained', False):
        return

    def register_mmpretrain_and_mmlt_models():
        original()
        register_model_index()

    register_mmpretrain_and_mmlt_models._mmlt_chained = True
    ModelHub._register_mmpretrain_models = staticmethod(
        register_mmpretrain_and_mmlt_models)


_register_with_model_hub()

__all__ = [
    '__version__', 'version_info', 'register_model_index', 'model_index_path'
]
