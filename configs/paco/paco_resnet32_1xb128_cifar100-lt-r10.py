# PaCo (Cui et al., ICCV 2021): ResNet-32 on CIFAR-100-LT at imbalance factor
# 10; everything else as the IF-100 config. The authors' IF-10 script
# (dvlab-research/Parametric-Contrastive-Learning, CIFAR100_train_imb0.1.sh,
# an earlier version of PaCo/LT/sh/) uses the same hyper-parameters as the
# IF-100 one.
_base_ = './paco_resnet32_1xb128_cifar100-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=10))
