# Copyright (c) mmlt contributors. All rights reserved.
from .freeze import freeze_module, is_frozen
from .gradual_schedule import SCHEDULE_FORMS, gradual_schedule
from .key_queue import (concat_all_gather, enqueue, gather_with_grad,
                        momentum_update)
from .multi_view_data_preprocessor import (MultiViewClsDataPreprocessor,
                                           is_multi_view)
from .reinit import reinit_module

__all__ = [
    'freeze_module', 'is_frozen', 'reinit_module', 'SCHEDULE_FORMS',
    'gradual_schedule', 'concat_all_gather', 'enqueue', 'gather_with_grad',
    'momentum_update', 'MultiViewClsDataPreprocessor', 'is_multi_view'
]
