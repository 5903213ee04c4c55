# Softmax equalization loss on CIFAR-10-LT at imbalance factor 1.
_base_ = './eql_resnet32_1xb128_cifar10-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=1))
# Balanced: every class has the same frequency, so no class is a tail class
# (lambda = 0) and the loss is the softmax cross-entropy, as the tail rule of
# the other imbalance factors (the rarest 30%) can not pick any class.
model = dict(head=dict(loss=dict(lambda_=0.0)))
