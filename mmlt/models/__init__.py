# Copyright (c) mmlt contributors. All rights reserved.
from . import backbones, classifiers, heads, losses  # noqa: F401
