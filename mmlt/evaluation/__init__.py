# Copyright (c) mmlt contributors. All rights reserved.
from . import metrics  # noqa: F401
