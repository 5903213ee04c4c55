# Copyright (c) mmlt contributors. All rights reserved.
"""Loading mmengine checkpoints under torch's ``weights_only`` default.

Since torch 2.6, ``torch.load`` unpickles only allow-listed types. An
mmengine checkpoint also stores the message hub (``HistoryBuffer`` objects
holding numpy arrays) and numpy scalars in its meta, so ``--resume``,
``load_from`` and ``tools/test.py`` fail out of the box. Rather than turning
``weights_only`` off (which would unpickle arbitrary code), mmlt adds exactly
these types to torch's allow-list, and pickles ``HistoryBuffer`` through its
constructor so that loading it calls nothing but allow-listed functions.
"""
import copyreg

import numpy as np
import torch


def _numpy_globals() -> list:
    """Numpy objects that pickled arrays, dtypes and scalars refer to."""
    try:  # numpy >= 2
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    found = [np.ndarray, np.dtype, multiarray._reconstruct, multiarray.scalar]
    # Each dtype has its own class since numpy 1.25 (numpy.dtypes.*DType).
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        found += [
            getattr(dtypes, name) for name in dir(dtypes) if
            name.endswith('DType') and isinstance(getattr(dtypes, name), type)
        ]
    return found


def mmengine_checkpoint_globals() -> list:
    """Return the non-tensor types an mmengine checkpoint contains.

    Returns:
        list: Classes and functions to pass to
        ``torch.serialization.add_safe_globals``.
    """
    from mmengine.config import ConfigDict
    from mmengine.logging import HistoryBuffer
    return [HistoryBuffer, ConfigDict] + _numpy_globals()


def _reduce_history_buffer(buffer) -> tuple:
    """Pickle a ``HistoryBuffer`` as a constructor call.

    Its default pickle refers to its statistics methods via ``getattr``,
    which a weights-only load must refuse: allowing ``getattr`` would allow
    arbitrary code.
    """
    return (type(buffer), (buffer._log_history, buffer._count_history,
                           buffer.max_length))


def allow_mmengine_checkpoints() -> None:
    """Make mmengine checkpoints loadable with ``weights_only=True``.

    Checkpoints saved before ``mmlt`` was imported (e.g. by plain
    mmpretrain) keep the old ``HistoryBuffer`` pickle; their weights still
    load through ``load_from`` when they hold no message hub.
    """
    from mmengine.logging import HistoryBuffer
    copyreg.pickle(HistoryBuffer, _reduce_history_buffer)
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:  # torch < 2.4 loads everything anyway
        add_safe_globals(mmengine_checkpoint_globals())
