# Copyright (c) mmlt contributors. All rights reserved.
import io

import numpy as np
import torch
from mmengine.logging import MessageHub

import mmlt  # noqa: F401  (installs the allow-list)


def test_mmengine_checkpoint_loads_with_weights_only():
    hub = MessageHub.get_instance('mmlt_test_checkpoint')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_scalar('train/loss', 0.25)
    hub.update_info('epoch', np.int64(3))
    state = dict(
        meta=dict(seed=np.int64(0), class_counts=[3, 2, 1]),
        message_hub=hub.state_dict(),
        state_dict=dict(w=torch.ones(2)))
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)
    scalars = loaded['message_hub']['log_scalars']['train/loss']
    assert scalars.mean() == 0.375
    assert scalars.data[0].tolist() == [0.5, 0.25]
    assert loaded['meta']['class_counts'] == [3, 2, 1]


def test_arbitrary_callables_stay_refused():
    buffer = io.BytesIO()
    torch.save(dict(f=getattr), buffer)
    buffer.seek(0)
    try:
        torch.load(buffer, weights_only=True)
    except Exception as e:  # noqa: BLE001  torch raises UnpicklingError
        assert 'getattr' in str(e)
    else:
        raise AssertionError('getattr must not be allow-listed')
