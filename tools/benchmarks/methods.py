# Copyright (c) mmlt contributors. All rights reserved.
"""The methods of the Fashion-MNIST-LT accuracy benchmark.

``METHODS`` maps a method name (also its folder name under the benchmark's
work dir, so keep it to letters, digits, ``-`` and ``_``) to its stages. A
stage is a config path relative to the repository root plus optional
``--cfg-options``; every stage after the first gets ``load_from=<the previous
stage's last checkpoint>``. A stage with ``train=False`` is not trained: the
previous stage's checkpoint is tested with its config (post-hoc methods such
as tau-normalisation); only the last stage may be such a stage.

To add a method, append an entry, e.g.::

    ('LDAM-DRW', [Stage('configs/ldam-drw/ldam-drw_resnet8_1xb128_'
                        'fashion-mnist-lt-r100.py')]),

CE must stay first: it is the time baseline of the benchmark.
"""
from collections import OrderedDict
from typing import NamedTuple, Tuple


class Stage(NamedTuple):
    """One training (or test-only) run of a method.

    Attributes:
        config (str): Config path relative to the repository root.
        cfg_options (tuple[str]): ``key=value`` overrides passed to
            ``--cfg-options`` of this stage's train and test runs.
        train (bool): Whether the stage trains. False: the previous stage's
            checkpoint is evaluated with this config. Defaults to True.
    """
    config: str
    cfg_options: Tuple[str, ...] = ()
    train: bool = True


def _fmnist(folder: str, method: str) -> str:
    return (f'configs/{folder}/{method}_resnet8_1xb128_'
            f'fashion-mnist-lt-r100.py')


CE = Stage(_fmnist('ce', 'ce'))

#: name -> stages, in table order.
METHODS = OrderedDict([
    ('CE', [CE]),
    # Re-weighting losses.
    ('CB', [Stage(_fmnist('cb', 'cb'))]),
    ('CB-inverse', [Stage(_fmnist('cb-inverse', 'cb-inverse'))]),
    ('CB-focal', [Stage(_fmnist('cb-focal', 'cb-focal'))]),
    ('Focal', [Stage(_fmnist('focal', 'focal'))]),
    ('GHM', [Stage(_fmnist('ghm', 'ghm'))]),
    ('EQL', [Stage(_fmnist('eql', 'eql'))]),
    ('Seesaw', [Stage(_fmnist('seesaw', 'seesaw'))]),
    ('CE-DRW', [Stage(_fmnist('ce-drw', 'ce-drw'))]),
    # Margins and logit adjustment.
    ('LDAM-DRW', [Stage(_fmnist('ldam-drw', 'ldam-drw'))]),
    ('Balanced-Softmax',
     [Stage(_fmnist('balanced-softmax', 'balanced-softmax'))]),
    ('Logit-Adjustment',
     [Stage(_fmnist('logit-adjustment', 'logit-adjustment'))]),
    # Decoupling (Kang et al., ICLR 2020): stage one is the CE model.
    ('cRT', [CE, Stage(_fmnist('decoupling', 'crt'))]),
    ('cRT-onerun', [Stage(_fmnist('decoupling', 'crt-onerun'))]),
    ('LWS', [CE, Stage(_fmnist('decoupling', 'lws'))]),
    # MiSLAS (Zhong et al., CVPR 2021): mixup, then LWS + label-aware
    # smoothing.
    ('MiSLAS', [
        Stage(_fmnist('mislas', 'mislas-stage1')),
        Stage(_fmnist('mislas', 'mislas-stage2'))
    ]),
    # The config's tau (1.0): tuning it on the validation split would tune
    # it on the test set, which Fashion-MNIST-LT's configs share.
    ('tau-norm', [CE, Stage(_fmnist('decoupling', 'tau-norm'), train=False)]),
    # No One Left Behind (Du and Wu, CVPR 2023): stage one is the CE model,
    # its classifier re-trained with the geometric mean loss; the ensemble
    # also predicts with the CE classifier (temperatures 1: the validation
    # split is the test set).
    ('CE-GML', [CE, Stage(_fmnist('gml', 'ce-gml'))]),
    ('CE-GML-ensemble', [CE, Stage(_fmnist('gml', 'ce-gml-ensemble'))]),
])
