# Balanced softmax CE on Places-LT: the CE config
# (ce_resnet152_8xb32_places-lt.py: ImageNet-1k ResNet-152 fine-tuned for 30
# epochs) with only the loss changed. Balanced softmax (Ren et al., NeurIPS
# 2020): the cross-entropy of z + log n_c. GML (Du & Wu 2023): "BSCE" (Tab. 5);
# stage one of configs/gml/balanced-softmax-gml*_resnet152_8xb32_places-lt.py.
_base_ = '../ce/ce_resnet152_8xb32_places-lt.py'

model = dict(head=dict(loss=dict(_delete_=True, type='BalancedSoftmaxLoss')))
