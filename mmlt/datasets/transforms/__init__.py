# Copyright (c) mmlt contributors. All rights reserved.
from .grayscale import ToGrayscale

__all__ = ['ToGrayscale']
