# Copyright (c) mmlt contributors. All rights reserved.
from .freeze import freeze_module, is_frozen
from .gradual_schedule import SCHEDULE_FORMS, gradual_schedule
from .reinit import reinit_module

__all__ = [
    'freeze_module', 'is_frozen', 'reinit_module', 'SCHEDULE_FORMS',
    'gradual_schedule'
]
