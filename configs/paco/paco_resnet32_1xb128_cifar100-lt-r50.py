# PaCo (Cui et al., ICCV 2021): ResNet-32 on CIFAR-100-LT at imbalance factor
# 50; everything else as the IF-100 config. The authors use the same
# hyper-parameters at IF 100 and 50 (dvlab-research/
# Parametric-Contrastive-Learning, PaCo/LT/sh/CIFAR100_train_imb0.01.sh and
# CIFAR100_train_imb0.02.sh).
_base_ = './paco_resnet32_1xb128_cifar100-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=50))
