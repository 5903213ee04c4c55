# CIFAR-100-LT (Cao et al.): class i keeps floor(500 * IF^(-i/99)) training
# images, 10,847 at IF 100; the test set stays balanced. Same pipelines and
# loaders as CIFAR-10-LT.
_base_ = './cifar10_lt.py'

dataset_type = 'CIFAR100'
# Holds cifar-100-python/ from the official cifar-100-python.tar.gz.
data_root = 'data/cifar100'

data_preprocessor = dict(
    num_classes=100,
    mean=[129.304, 124.070, 112.434],
    std=[68.170, 65.392, 70.418],
)

train_dataloader = dict(
    dataset=dict(
        max_count=500, dataset=dict(type=dataset_type, data_root=data_root)))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
# Many > 100, Medium 20-100, Few < 20 training images: all three groups are
# non-empty at IF 50 and above.
