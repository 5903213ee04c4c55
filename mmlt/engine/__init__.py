# Copyright (c) mmlt contributors. All rights reserved.
from . import hooks  # noqa: F401
