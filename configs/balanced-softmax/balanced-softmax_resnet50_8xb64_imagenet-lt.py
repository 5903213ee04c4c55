# Balanced softmax CE on ImageNet-LT: the CE config
# (ce_resnet50_8xb64_imagenet-lt.py, GLAG's 200-epoch cosine recipe) with
# only the loss changed. Balanced softmax (Ren et al., NeurIPS 2020): the
# cross-entropy of z + log n_c. GML (Du & Wu 2023): "BSCE" (Tab. 4); stage one
# of configs/gml/balanced-softmax-gml*_resnet50_8xb64_imagenet-lt.py.
_base_ = '../ce/ce_resnet50_8xb64_imagenet-lt.py'

model = dict(head=dict(loss=dict(_delete_=True, type='BalancedSoftmaxLoss')))
