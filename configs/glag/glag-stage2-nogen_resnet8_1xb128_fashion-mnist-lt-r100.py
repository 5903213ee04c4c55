# Control for GLAG stage two (Zhang & Xiang, 2022) on Fashion-MNIST-LT
# (IF 100): no generated features (generated_ratio=0), distillation kept.
# The stage-one (GraLoss) classifier is trained on for the 2 epochs of
# glag-stage2_resnet8_1xb128_fashion-mnist-lt-r100.py on the real,
# long-tailed batches only, with the head-class distillation and its
# schedule; no adaptive confidence (no generation to adapt). Not in the
# paper; set next to GLAG to show what generation adds. Its validation only
# logs, so --no-validate is fine. Pass the GraLoss stage-one checkpoint
# with --cfg-options load_from=PATH.
_base_ = './glag-stage2-noad_resnet8_1xb128_fashion-mnist-lt-r100.py'

model = dict(head=dict(generated_ratio=0.0))
