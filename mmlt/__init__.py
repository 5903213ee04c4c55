# Copyright (c) mmlt contributors. All rights reserved.
"""mmlt: long-tailed image classification for OpenMMLab.

Importing the package registers every mmlt module into mmpretrain's
registries, so ``custom_imports=dict(imports=['mmlt'])`` is all a config
needs.
"""
from .utils.checkpoint import allow_mmengine_checkpoints
from .version import __version__, version_info

# torch >= 2.6 loads checkpoints with ``weights_only=True``; mmengine's
# checkpoints carry a few plain Python/numpy objects that must be allowed.
allow_mmengine_checkpoints()

from . import datasets, engine, evaluation, models  # noqa: E402,F401

__all__ = ['__version__', 'version_info']
