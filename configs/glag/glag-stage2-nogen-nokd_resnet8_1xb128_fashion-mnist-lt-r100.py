# Control for GLAG stage two (Zhang & Xiang, 2022) on Fashion-MNIST-LT
# (IF 100): no generated features and no distillation: the stage-one
# (GraLoss) classifier is fine-tuned for 2 more epochs with plain
# cross-entropy on the real, long-tailed batches, the backbone frozen (the
# schedule of glag-stage2_resnet8_1xb128_fashion-mnist-lt-r100.py). Not in
# the paper; the baseline against which GLAG's generation and distillation
# are measured. Its validation only logs, so --no-validate is fine. Pass
# the GraLoss stage-one checkpoint with --cfg-options load_from=PATH.
_base_ = './glag-stage2-nogen_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(head=dict(kd_weight=0.0))
