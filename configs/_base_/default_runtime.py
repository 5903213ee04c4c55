# mmlt's runtime: mmpretrain's, plus the long-tail hooks.
_base_ = 'mmpretrain::_base_/default_runtime.py'

# Registers mmlt's modules into mmpretrain's registries.
custom_imports = dict(imports=['mmlt'], allow_failed_imports=False)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    # Keep the last few epochs; resume needs only the latest.
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
)

custom_hooks = [
    # Hands the training set's class counts to losses, heads and metrics,
    # and stores them in every checkpoint for test-only runs.
    dict(type='ClassCountsHook'),
    # Writes per-class recall (json/csv, and a png at test time).
    dict(type='PerClassRecallHook'),
]

# Scalars (and the per-class recall tables) go to vis_data/ through the
# Local backend. TensorBoard is optional (`pip install tensorboard`); switch
# it on in a config with
#   visualizer = dict(vis_backends=[dict(type='LocalVisBackend'),
#                                   dict(type='TensorboardVisBackend')])
# `_delete_` drops the `_scope_` key that mmengine adds to every dict
# inherited from the `mmpretrain::` base: mmpretrain's
# tools/visualization/browse_dataset.py passes the dict on as keyword
# arguments and would fail on it.
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    _delete_=True, type='UniversalVisualizer', vis_backends=vis_backends)

# A fixed seed: long-tail results vary by about a point between seeds.
randomness = dict(seed=0, deterministic=False)
