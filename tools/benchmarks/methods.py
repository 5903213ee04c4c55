# Copyright (c) mmlt contributors. All rights reserved.
"""The methods of the Fashion-MNIST-LT accuracy benchmark.

``METHODS`` maps a method name (also its folder name under the benchmark's
work dir, so keep it to letters, digits, ``-`` and ``_``) to its stages. A
stage is a config path relative to the repository root plus optional
``--cfg-options``; every stage after the first gets ``load_from=<the previous
stage's last checkpoint>``. A stage with ``train=False`` is not trained: the
previous stage's checkpoint is tested with its config (post-hoc methods such
as tau-normalisation); only the last stage may be such a stage. Stages
train with ``--no-validate`` unless ``validate=True`` (a method that reads
the validation accuracy while training, e.g. GLAG's adaptive confidence).

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
        validate (bool): Whether the stage validates while training (the
            config's val_cfg), for methods that read the validation
            accuracy (GLAG's AdaptiveConfidenceHook). Its validation time
            then counts in the training time. Defaults to False (trained
            with ``--no-validate``).
    """
    config: str
    cfg_options: Tuple[str, ...] = ()
    train: bool = True
    validate: bool = False


def _fmnist(folder: str, method: str) -> str:
    return (f'configs/{folder}/{method}_resnet8_1xb128_'
            f'fashion-mnist-lt-r100.py')


CE = Stage(_fmnist('ce', 'ce'))
# First stages that several methods share (trained once per seed).
BS = Stage(_fmnist('balanced-softmax', 'balanced-softmax'))
LDAM_DRW = Stage(_fmnist('ldam-drw', 'ldam-drw'))
MISLAS_1 = Stage(_fmnist('mislas', 'mislas-stage1'))

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
    # Category-wise GHM (Zhang et al. 2022), its Table 3 ablation ('+' is not
    # allowed in names, '-' stands for it): R (margins), A+U (intra weights,
    # uniform bins), R+A+U, R+A+AU (adaptive bins: the full method).
    ('CatGHM-R', [Stage(_fmnist('category-ghm', 'category-ghm-r'))]),
    ('CatGHM-A-U', [Stage(_fmnist('category-ghm', 'category-ghm-a-u'))]),
    ('CatGHM-R-A-U', [Stage(_fmnist('category-ghm', 'category-ghm-r-a-u'))]),
    ('CatGHM-R-A-AU', [Stage(_fmnist('category-ghm', 'category-ghm'))]),
    ('CE-DRW', [Stage(_fmnist('ce-drw', 'ce-drw'))]),
    # Margins and logit adjustment.
    ('LDAM-DRW', [LDAM_DRW]),
    ('Balanced-Softmax', [BS]),
    ('Logit-Adjustment',
     [Stage(_fmnist('logit-adjustment', 'logit-adjustment'))]),
    # Decoupling (Kang et al., ICLR 2020): stage one is the CE model.
    ('cRT', [CE, Stage(_fmnist('decoupling', 'crt'))]),
    ('cRT-onerun', [Stage(_fmnist('decoupling', 'crt-onerun'))]),
    ('LWS', [CE, Stage(_fmnist('decoupling', 'lws'))]),
    # MiSLAS (Zhong et al., CVPR 2021): mixup, then LWS + label-aware
    # smoothing.
    ('MiSLAS', [MISLAS_1, Stage(_fmnist('mislas', 'mislas-stage2'))]),
    # The config's tau (1.0); tools/benchmarks/tune_on_dev.py picks it on a
    # development split of the training pool (--tuned).
    ('tau-norm', [CE,
                  Stage(_fmnist('decoupling', 'tau-norm'), train=False)]),
    # No One Left Behind (Du and Wu, CVPR 2023): stage one is the CE model,
    # its classifier re-trained with the geometric mean loss; the ensemble
    # also predicts with the CE classifier (temperatures 1; tune_on_dev.py
    # picks them on a development split, --tuned).
    ('CE-GML', [CE, Stage(_fmnist('gml', 'ce-gml'))]),
    ('CE-GML-ensemble', [CE, Stage(_fmnist('gml', 'ce-gml-ensemble'))]),
    # The same GML stage on the balanced-softmax and LDAM-DRW models (their
    # rows' first stages, shared), and on MiSLAS's stage one (mixup) in
    # place of MiSLAS's stage two, with its label-aware smoothing (the GML
    # paper's MiSLAS + GML; the MiSLAS row's first stage, shared). The
    # ensembles keep each model's own classifier (LDAM's cosine one at
    # t_old = 1/30).
    ('BS-GML', [BS, Stage(_fmnist('gml', 'balanced-softmax-gml'))]),
    ('BS-GML-ensemble',
     [BS, Stage(_fmnist('gml', 'balanced-softmax-gml-ensemble'))]),
    ('LDAM-DRW-GML', [LDAM_DRW,
                      Stage(_fmnist('gml', 'ldam-drw-gml'))]),
    ('LDAM-DRW-GML-ensemble',
     [LDAM_DRW, Stage(_fmnist('gml', 'ldam-drw-gml-ensemble'))]),
    ('MiSLAS-GML', [MISLAS_1, Stage(_fmnist('gml', 'mislas-gml'))]),
    ('MiSLAS-GML-ensemble',
     [MISLAS_1, Stage(_fmnist('gml', 'mislas-gml-ensemble'))]),
    # PaCo (Cui et al., ICCV 2021): the supervised contrastive loss with
    # learnable class centres and a momentum-encoder queue, on the 6-epoch
    # budget; then GML's classifier stage on the PaCo model, as for CE-GML.
    ('PaCo', [Stage(_fmnist('paco', 'paco'))]),
    ('PaCo-GML',
     [Stage(_fmnist('paco', 'paco')),
      Stage(_fmnist('gml', 'paco-gml'))]),
    ('PaCo-GML-ensemble', [
        Stage(_fmnist('paco', 'paco')),
        Stage(_fmnist('gml', 'paco-gml-ensemble'))
    ]),
    # Meta-learned sample weights on a balanced development split (Jamal
    # et al., CVPR 2020): CE, then w_y + eps in the last epoch; and L2RW
    # (Ren et al., 2018) as Jamal et al. (2020) compares it, meta-reweighted
    # throughout.
    ('CB-Meta', [Stage(_fmnist('meta-reweight', 'meta-reweight-ce'))]),
    # The same with the LDAM loss (cosine head, s = 30; w_y as CB-Meta's):
    # Jamal et al.'s "Ours with LDAM loss", against LDAM-DRW.
    ('LDAM-Meta', [Stage(_fmnist('meta-reweight', 'meta-reweight-ldam'))]),
    # Its matched baseline, as CB-DRW is CB-Meta's: the same config with
    # eps = 0 (meta_lr=0 skips the meta step), so the same training set,
    # stage boundary and normalisation; LDAM-Meta against it isolates eps.
    ('LDAM-Meta-eps0', [
        Stage(
            _fmnist('meta-reweight', 'meta-reweight-ldam'),
            cfg_options=('model.meta_lr=0', ))
    ]),
    # And with the softmax focal loss ("Ours with focal loss", against
    # CB-focal), with its eps = 0 control.
    ('Focal-Meta', [Stage(_fmnist('meta-reweight', 'meta-reweight-focal'))]),
    ('Focal-Meta-eps0', [
        Stage(
            _fmnist('meta-reweight', 'meta-reweight-focal'),
            cfg_options=('model.meta_lr=0', ))
    ]),
    ('L2RW', [Stage(_fmnist('l2rw', 'l2rw'))]),
    # CB-Meta's matched baselines: its training set (the development split
    # set aside), recipe, seed and stage boundary (epoch 4), so the same
    # weights after epoch 3; then w_y L over |B| (CB-DRW: CB-Meta with
    # eps = 0, the paper's "Class-balanced fine-tuning") or over sum w_y
    # (CE-DRW's normalisation, a step ~5.8x larger here).
    ('CB-DRW', [Stage(_fmnist('cb-drw', 'cb-drw'))]),
    ('CE-DRW-matched', [Stage(_fmnist('cb-drw', 'ce-drw-matched'))]),
    # GLAG stage one (Zhang and Xiang, 2022): the Gradual Balanced Loss, tau
    # rising from 0 to 1 (convex: the paper's best), then its tau-form rows,
    # and GraLoss as the stage one of cRT, LWS and MiSLAS (Table 6).
    ('GraLoss', [Stage(_fmnist('glag', 'glag-stage1'))]),
    ('GraLoss-linear', [Stage(_fmnist('glag', 'glag-stage1-linear'))]),
    ('GraLoss-concave', [Stage(_fmnist('glag', 'glag-stage1-concave'))]),
    ('GraLoss-convex3', [Stage(_fmnist('glag', 'glag-stage1-convex3'))]),
    ('GraLoss-cRT', [
        Stage(_fmnist('glag', 'glag-stage1')),
        Stage(_fmnist('glag', 'gra-crt'))
    ]),
    ('GraLoss-LWS', [
        Stage(_fmnist('glag', 'glag-stage1')),
        Stage(_fmnist('glag', 'gra-lws'))
    ]),
    ('GraLoss-MiSLAS', [
        Stage(_fmnist('glag', 'gra-mislas-stage1')),
        Stage(_fmnist('glag', 'gra-mislas-stage2'))
    ]),
    # GLAG (Zhang and Xiang, 2022): GraLoss, then the Adaptive Feature
    # Generator with adaptive confidence (AD) and head-class distillation
    # (KD); Table 7's ablations: without AD / KD, and AFG + AD + KD on a CE
    # or logit-adjusted (LogitLoss) stage one. The stages with AD validate
    # every epoch (on a development split of the training pool, not the
    # test set): AD adapts lambda from the validation accuracy.
    ('GLAG', [
        Stage(_fmnist('glag', 'glag-stage1')),
        Stage(_fmnist('glag', 'glag-stage2'), validate=True)
    ]),
    ('GLAG-noAD', [
        Stage(_fmnist('glag', 'glag-stage1')),
        Stage(_fmnist('glag', 'glag-stage2-noad'))
    ]),
    ('GLAG-noKD', [
        Stage(_fmnist('glag', 'glag-stage1')),
        Stage(_fmnist('glag', 'glag-stage2-nokd'), validate=True)
    ]),
    ('GLAG-noAD-noKD', [
        Stage(_fmnist('glag', 'glag-stage1')),
        Stage(_fmnist('glag', 'glag-stage2-noad-nokd'))
    ]),
    # Controls (not in the paper), so that a reader sees what generation
    # adds: lambda = 0 (tail features re-sampled, nothing transferred), no
    # generation with distillation, and neither (plain fine-tuning).
    ('GLAG-lambda0', [
        Stage(_fmnist('glag', 'glag-stage1')),
        Stage(_fmnist('glag', 'glag-stage2-lambda0'))
    ]),
    ('GLAG-noGen', [
        Stage(_fmnist('glag', 'glag-stage1')),
        Stage(_fmnist('glag', 'glag-stage2-nogen'))
    ]),
    ('GLAG-noGen-noKD', [
        Stage(_fmnist('glag', 'glag-stage1')),
        Stage(_fmnist('glag', 'glag-stage2-nogen-nokd'))
    ]),
    ('CE-AFG', [CE, Stage(_fmnist('glag', 'glag-stage2'), validate=True)]),
    ('LogitLoss-AFG', [
        Stage(_fmnist('logit-adjustment', 'logit-adjustment')),
        Stage(_fmnist('glag', 'glag-stage2'), validate=True)
    ]),
    # RIDE (Wang et al., ICLR 2021): three experts on a shared early
    # ResNet-8 with the distribution-aware diversity loss (6 epochs), then
    # the expert-assignment router on the frozen experts (2 epochs); the
    # experts alone (all three, no router) and RIDE + GML (one GML
    # classifier per expert, 2 epochs) share that first stage.
    ('RIDE', [
        Stage(
            'configs/ride/ride_resnet8-3exp_1xb128_fashion-mnist-lt-r100.py'),
        Stage('configs/ride/ride-router_resnet8-3exp_1xb512_'
              'fashion-mnist-lt-r100.py')
    ]),
    ('RIDE-experts',
     [Stage('configs/ride/ride_resnet8-3exp_1xb128_fashion-mnist-lt-r100.py')
      ]),
    ('RIDE-GML', [
        Stage(
            'configs/ride/ride_resnet8-3exp_1xb128_fashion-mnist-lt-r100.py'),
        Stage('configs/gml/ride-gml_resnet8-3exp_1xb128_'
              'fashion-mnist-lt-r100.py')
    ]),
])
