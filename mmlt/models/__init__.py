# Copyright (c) mmlt contributors. All rights reserved.
from . import backbones, heads, losses  # noqa: F401
