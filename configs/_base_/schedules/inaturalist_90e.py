# The iNaturalist recipe of GLAG (stage one): 90 epochs with the cosine
# schedule of its ImageNet-LT recipe, SGD momentum 0.9, weight decay 5e-4,
# lr 0.2 for a total batch of 512 (Kang et al.).
_base_ = './imagenet_lt_200e.py'

param_scheduler = dict(end=90)
train_cfg = dict(max_epochs=90, val_interval=5)
