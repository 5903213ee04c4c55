# GLAG stage two without distillation (ablation, the GLAG paper's Table 7's row
# "GraLoss + AD"): glag-stage2_resnet8_1xb128_fashion-mnist-lt-r100.py with
# the distillation weight 0 (the schedule keeps it at 0); adaptive confidence
# kept, so it validates every epoch on the base's development split of the
# training pool. Pass the GraLoss stage-one checkpoint with --cfg-options
# load_from=PATH.
_base_ = './glag-stage2_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(head=dict(kd_weight=0.0))
