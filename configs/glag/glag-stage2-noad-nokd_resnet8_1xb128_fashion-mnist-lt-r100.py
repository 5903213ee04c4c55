# GLAG stage two with neither adaptive confidence nor distillation
# (ablation, the GLAG paper's Table 7): plain feature generation with a fixed
# lambda of 0.6 on the frozen GraLoss model. Pass the stage-one checkpoint
# with --cfg-options load_from=PATH.
_base_ = './glag-stage2-noad_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(head=dict(kd_weight=0.0))
