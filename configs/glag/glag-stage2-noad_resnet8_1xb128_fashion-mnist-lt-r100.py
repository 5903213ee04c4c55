# GLAG stage two without the adaptive confidence (ablation, the GLAG paper's
# Table 7's "AD" column off): glag-stage2_resnet8_1xb128_fashion-mnist-lt-
# r100.py with lambda fixed at its initial 0.6 (no AdaptiveConfidenceHook);
# distillation kept. Pass the GraLoss stage-one checkpoint with
# --cfg-options load_from=PATH. Its validation (the base's development
# split) only logs: nothing reads it, so --no-validate is fine here.
_base_ = './glag-stage2_resnet8_1xb128_fashion-mnist-lt-r100.py'

custom_hooks = [
    h for h in _base_.custom_hooks if h['type'] != 'AdaptiveConfidenceHook'
]
