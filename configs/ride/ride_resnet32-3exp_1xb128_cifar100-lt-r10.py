# RIDE (Wang et al., ICLR 2021) on CIFAR-100-LT at imbalance factor 10: the
# IF-100 config (ride_resnet32-3exp_1xb128_cifar100-lt-r100.py, the authors'
# CIFAR-100-LT hyper-parameters, which they use at every imbalance factor)
# on the IF-10 training set.
_base_ = './ride_resnet32-3exp_1xb128_cifar100-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=10))
