# Copyright (c) mmlt contributors. All rights reserved.
import copy
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.registry import DATA_SAMPLERS, HOOKS, MODELS
from torch import nn

from mmlt.models.losses.utils import check_choice
from mmlt.models.utils import freeze_module, reinit_module
from mmlt.models.utils.freeze import BN_STATISTICS
from mmlt.utils import ClassCountsMixin
from .class_counts_hook import ClassCountsHook


@HOOKS.register_module()
class DecoupledStageHook(Hook):
    """Switch to the classifier stage of decoupled training.

    `Decoupling Representation and Classifier for Long-Tailed Recognition
    <https://arxiv.org/abs/1910.09217>`_ (Kang et al., ICLR 2020) first
    learns the representation with plain sampling, then freezes it and
    learns the classifier again with class-balanced sampling (cRT) or only
    re-scales it (LWS). From epoch ``switch_epoch`` on (counted from 0, i.e.
    after ``switch_epoch`` finished epochs) this hook

    1. freezes ``freeze`` (the backbone and neck) with
       :func:`~mmlt.models.utils.freeze_module`: no gradients, and eval mode
       that the loop's ``model.train()`` does not undo, so their weights and
       BN running statistics stay bit-identical; with
       ``bn_statistics='update'`` the BN layers still follow the loop's
       ``model.train()``/``model.eval()`` and re-estimate their running
       statistics on the second-stage data, their affine parameters fixed
       (the shifted BN of MiSLAS, ``configs/mislas/mislas-stage2_*``);
    2. with ``reinit_head=True``, re-initialises the head
       (:func:`~mmlt.models.utils.reinit_module`) and drops the optimizer
       state (momentum) of its parameters;
    3. with ``loss``, replaces the head's ``loss_module``;
    4. with ``sampler``, rebuilds the training dataloader from
       ``cfg.train_dataloader`` with this sampler (e.g.
       ``dict(type='ClassAwareSampler')``).

    Two forms:

    - one run: ``switch_epoch=N`` trains N epochs end to end, then switches
      (``configs/decoupling/crt-onerun_*``);
    - second-stage config: ``switch_epoch=0`` with ``load_from`` a
      first-stage checkpoint (``configs/decoupling/crt_*``). mmengine's
      ``Runner.train`` loads ``load_from`` before the loop's
      ``before_train``, where the hook switches, so the loaded backbone is
      what gets frozen.

    **Resume.** Nothing of the switch is in the checkpoint: it follows from
    ``runner.epoch``. The hook switches in ``before_train`` (after
    ``load_or_resume``; ``after_load_checkpoint`` would be too early, the
    weights and epoch are not restored yet) and in ``before_train_epoch``,
    whenever ``runner.epoch >= switch_epoch`` and it has not switched in
    this process. A run resumed past ``switch_epoch`` freezes and swaps
    again but does not re-initialise the head: the checkpoint holds the
    trained second-stage head and its optimizer state.

    **DDP.** ``DistributedDataParallel`` registers the parameters that
    require a gradient when it wraps the model (in ``Runner.__init__``,
    before any hook) and fails at the next step if some of them get none.
    When the model is wrapped, the hook therefore unwraps
    ``runner.model.module``, freezes, and wraps it again with
    ``runner.wrap_model(cfg.model_wrapper_cfg, model)``, i.e. the same
    wrapper type and arguments as the runner (mmlt's CPU set-up included),
    so the new reducer covers only the trainable parameters. The training
    loop reads ``runner.model`` at every step, so it uses the new wrapper;
    the new wrapper broadcasts rank 0's parameters, which also makes a
    re-initialised head identical on all ranks. With
    ``bn_statistics='update'`` each rank updates its BN running statistics
    from its own batches (the default wrappers do not broadcast buffers) and
    rank 0's are saved, as in ordinary DDP training without SyncBN. A model
    wrapper given to the ``Runner`` directly rather than in
    ``cfg.model_wrapper_cfg`` is not reproduced.

    **compile.** With ``cfg.compile`` set, mmengine replaces the wrapper's
    ``train_step`` by a ``torch.compile``-d one before ``before_train``; the
    new wrapper's ``train_step`` is compiled again here with the same
    options (the runner's ``_maybe_compile``), so the second stage keeps
    running compiled. Without the model re-wrapped (one process), the
    compiled ``train_step`` is kept and ``torch.compile`` re-traces on the
    changed ``requires_grad`` flags by itself.

    Args:
        switch_epoch (int): The number of epochs before the switch; 0
            switches before the first epoch.
        freeze (Sequence[str], optional): Names of the model's sub-modules to
            freeze (dotted paths such as ``'backbone.layer1'`` work).
            Defaults to None (``backbone`` and ``neck``, if the model has
            one).
        reinit_head (bool): Whether to re-initialise ``model.head`` at the
            switch (cRT). Defaults to False.
        loss (dict, optional): Config of the head's loss from the switch on.
            Defaults to None (keep the loss).
        sampler (dict, optional): Config of the training sampler from the
            switch on. It should keep the epoch length (the schedulers and
            ``max_iters`` were computed with it). Defaults to None (keep the
            dataloader).
        bn_statistics (str): ``'frozen'`` keeps the running mean and variance
            of the frozen BN layers; ``'update'`` keeps their BN layers in
            train mode during training, so the running statistics move to
            the second-stage (e.g. class-balanced) batches. Defaults to
            ``'frozen'``.
        priority (str): Hook priority. Defaults to ``'NORMAL'``.
    """

    def __init__(self,
                 switch_epoch: int,
                 freeze: Optional[Sequence[str]] = None,
                 reinit_head: bool = False,
                 loss: Optional[dict] = None,
                 sampler: Optional[dict] = None,
                 bn_statistics: str = 'frozen',
                 priority: str = 'NORMAL') -> None:
        name = type(self).__name__
        check_choice(name, 'bn_statistics', bn_statistics, BN_STATISTICS)
        if not (isinstance(switch_epoch, int) and switch_epoch >= 0):
            raise ValueError(f'{name}: `switch_epoch` must be an int >= 0, '
                             f'got {switch_epoch!r}.')
        if freeze is not None:
            if isinstance(freeze, str) or not freeze:
                raise ValueError(f'{name}: `freeze` must be a non-empty list '
                                 f'of module names, got {freeze!r}.')
            freeze = tuple(freeze)
        if sampler is not None and DATA_SAMPLERS.get(
                sampler.get('type')) is None:
            raise KeyError(f'{name}: `sampler` type {sampler.get("type")!r} '
                           f'is not registered.')
        self.switch_epoch = switch_epoch
        self.freeze = freeze
        self.reinit_head = reinit_head
        self.sampler = copy.deepcopy(sampler)
        self.bn_statistics = bn_statistics
        # Built now, so a bad loss config fails at start, not mid-run.
        self.loss = MODELS.build(loss) if loss is not None else None
        self.priority = priority
        self.switched = False

    def before_train(self, runner) -> None:
        """Switch at the start of a run that begins (or resumes) after
        ``switch_epoch``; the checkpoint is loaded by now."""
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            raise TypeError(
                f'{type(self).__name__} needs an epoch-based training loop, '
                f'got {type(runner.train_loop).__name__}; set '
                f'train_cfg.by_epoch=True.')
        # `_has_loaded` is set by Runner.load_or_resume, which ran by now.
        if (self.switch_epoch == 0 and runner.epoch == 0
                and not getattr(runner, '_has_loaded', True)):
            raise RuntimeError(
                f'{type(self).__name__}: switch_epoch=0 freezes the backbone '
                f'before any training, but no checkpoint was loaded; pass the '
                f'first-stage checkpoint with --cfg-options load_from=PATH.')
        if self.switch_epoch >= runner.max_epochs:
            runner.logger.warning(
                f'{type(self).__name__}: switch_epoch={self.switch_epoch} >= '
                f'max_epochs={runner.max_epochs}; the run never switches.')
        self._maybe_switch(runner)

    def before_train_epoch(self, runner) -> None:
        """Switch before the first epoch from ``switch_epoch`` on."""
        self._maybe_switch(runner)

    def _maybe_switch(self, runner) -> None:
        if self.switched or runner.epoch < self.switch_epoch:
            return
        # Past switch_epoch, the (resumed) checkpoint holds the second-stage
        # head: only a switch at exactly switch_epoch starts it afresh.
        fresh = runner.epoch == self.switch_epoch
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        frozen = self._freeze(model)
        done = [
            f'froze {", ".join(frozen)} (BN statistics '
            f'{self.bn_statistics})'
        ]
        if self.reinit_head and fresh:
            reinit_module(model.head)
            _drop_optimizer_state(runner.optim_wrapper,
                                  list(model.head.parameters()))
            done.append('re-initialised the head')
        if self.loss is not None:
            self._set_loss(runner, model)
            done.append(f'set the loss to {type(self.loss).__name__}')
        if is_model_wrapper(runner.model):
            runner.model = runner.wrap_model(
                runner.cfg.get('model_wrapper_cfg'), model)
            # A sync_bn conversion in wrap_model replaces BN modules.
            self._freeze(model)
            done.append(f're-wrapped the model in '
                        f'{type(runner.model).__name__}')
            if _compile_enabled(runner):
                _compile_train_step(runner)
                done.append('compiled its train_step again')
        if self.sampler is not None:
            self._set_sampler(runner)
            done.append(f'set the sampler to {self.sampler["type"]}')
        self.switched = True
        trainable = [n for n, p in model.named_parameters() if p.requires_grad]
        runner.logger.info(
            f'{type(self).__name__} at epoch {runner.epoch}'
            f'{"" if fresh else " (resumed after the switch)"}: '
            f'{"; ".join(done)}. Trainable: {", ".join(trainable) or "none"}.')

    def _freeze(self, model: nn.Module) -> list:
        names = self.freeze
        if names is None:
            names = ['backbone'] + (['neck'] if getattr(model, 'neck', None)
                                    is not None else [])
        for name in names:
            try:
                module = model.get_submodule(name)
            except AttributeError:
                raise ValueError(
                    f'{type(self).__name__}: `freeze` names {name!r}, but '
                    f'{type(model).__name__} has no such sub-module.'
                ) from None
            freeze_module(module, self.bn_statistics)
        return list(names)

    def _set_loss(self, runner, model: nn.Module) -> None:
        device = next(model.parameters()).device
        self.loss.to(device)
        counts = next(
            (hook.class_counts
             for hook in runner.hooks if isinstance(hook, ClassCountsHook)),
            None)
        if counts is not None:
            for module in self.loss.modules():
                if isinstance(module, ClassCountsMixin):
                    module.set_class_counts(counts)
        model.head.loss_module = self.loss

    def _set_sampler(self, runner) -> None:
        loader_cfg = copy.deepcopy(runner.cfg.get('train_dataloader'))
        if loader_cfg is None:
            raise RuntimeError(
                f'{type(self).__name__}: `sampler` rebuilds the training '
                f'dataloader from cfg.train_dataloader, which this runner '
                f'lacks; build the runner with Runner.from_cfg.')
        loader_cfg['sampler'] = copy.deepcopy(self.sampler)
        loop = runner.train_loop
        old_length = len(loop.dataloader)
        # As BaseLoop builds it.
        loop.dataloader = runner.build_dataloader(
            loader_cfg,
            seed=runner.seed,
            diff_rank_seed=runner._randomness_cfg.get('diff_rank_seed', False))
        # DistSamplerSeedHook may already have run for this epoch.
        if hasattr(loop.dataloader.sampler, 'set_epoch'):
            loop.dataloader.sampler.set_epoch(runner.epoch)
        if len(loop.dataloader) != old_length:
            runner.logger.warning(
                f'{type(self).__name__}: the new sampler gives '
                f'{len(loop.dataloader)} iterations per epoch instead of '
                f'{old_length}; iteration-based schedules and max_iters '
                f'still count {old_length}.')


def _compile_enabled(runner) -> bool:
    """Whether the run asked mmengine to compile ``train_step``."""
    cfg = getattr(runner, 'cfg', None)
    compile_cfg = cfg.get('compile', None) if cfg is not None else None
    return compile_cfg is not None and compile_cfg is not False


def _compile_train_step(runner) -> None:
    """Compile the new wrapper's ``train_step`` as mmengine did the old."""
    compile_fn = getattr(runner, '_maybe_compile', None)
    if compile_fn is None:
        raise RuntimeError(
            f'DecoupledStageHook: cfg.compile is set, but '
            f'{type(runner).__name__} has no `_maybe_compile` to compile the '
            f're-wrapped model\'s train_step again, so the second stage would '
            f'run uncompiled; remove `compile` from the config or use '
            f'mmengine\'s Runner (>= 0.8).')
    compile_fn('train_step')


def _drop_optimizer_state(optim_wrapper, params: list) -> None:
    """Forget the optimizer state (e.g. momentum) of ``params``."""
    if isinstance(optim_wrapper, OptimWrapperDict):
        wrappers = list(optim_wrapper.values())
    else:
        wrappers = [optim_wrapper]
    for wrapper in wrappers:
        for param in params:
            wrapper.optimizer.state.pop(param, None)
