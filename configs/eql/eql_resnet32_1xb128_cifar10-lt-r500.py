# Softmax equalization loss on CIFAR-10-LT at imbalance factor 500.
_base_ = './eql_resnet32_1xb128_cifar10-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=500))
# Keeps the rarest 30% of the classes in the tail: the 3 rarest classes (10,
# 19 and 39 of 10,011 images, f <= 0.00390) are tail, the next one (79
# images, f = 0.00789) is not.
model = dict(head=dict(loss=dict(lambda_=0.0059)))
