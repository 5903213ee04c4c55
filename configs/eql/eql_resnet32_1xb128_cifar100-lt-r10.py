# Softmax equalization loss on CIFAR-100-LT at imbalance factor 10.
_base_ = './eql_resnet32_1xb128_cifar100-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=10))
# Keeps the rarest 30% of the classes in the tail: the 30 rarest classes (at
# most 98 of 19,573 images, f <= 0.00501) are tail; the next one (100 images,
# f = 0.00511) is not.
model = dict(head=dict(loss=dict(lambda_=0.00505)))
