# RIDE (Wang et al., ICLR 2021) on CIFAR-100-LT at imbalance factor 10,
# stage two (the router): the IF-100 router config
# (ride-router_resnet32-3exp_1xb512_cifar100-lt-r100.py, the authors'
# hyper-parameters) on the IF-10 training set. Stage one:
# ride_resnet32-3exp_1xb128_cifar100-lt-r10.py.
_base_ = './ride-router_resnet32-3exp_1xb512_cifar100-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=10))
