# Softmax equalization loss on CIFAR-10-LT at imbalance factor 10.
_base_ = './eql_resnet32_1xb128_cifar10-lt-r100.py'
train_dataloader = dict(dataset=dict(imbalance_factor=10))
# Keeps the rarest 30% of the classes in the tail: the 3 rarest classes (834,
# 645 and 500 of 20,431 images, f <= 0.0408) are tail, the next one (1,077
# images, f = 0.0527) is not.
model = dict(head=dict(loss=dict(lambda_=0.045)))
