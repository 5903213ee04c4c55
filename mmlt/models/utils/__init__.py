# Copyright (c) mmlt contributors. All rights reserved.
from .freeze import freeze_module, is_frozen
from .reinit import reinit_module

__all__ = ['freeze_module', 'is_frozen', 'reinit_module']
