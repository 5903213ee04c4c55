# ResNet-152, the Places-LT backbone (Liu et al. 2019 and later work start it
# from ImageNet weights; the Places-LT configs set the checkpoint).
_base_ = './resnet50.py'
model = dict(backbone=dict(depth=152))
