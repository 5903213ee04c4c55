# Fashion-MNIST-LT with a balanced development split; the head class keeps the
# 5,990 images left (max_count=None), the profile is otherwise unchanged.
# The development set D of Jamal et al. (CVPR 2020) for meta-learning: 10
# images per class (as for CIFAR-LT) set aside from the training pool before
# anything else (same dev_seed on both sides, so D and the training set are
# disjoint). It is loaded with the training augmentation; a method reads
# dev_dataloader.
_base_ = './fashion_mnist_lt.py'

dev_per_class = 10

train_dataloader = dict(
    dataset=dict(dev_per_class=dev_per_class, max_count=None))

dev_dataloader = dict(
    batch_size={{_base_.train_dataloader.batch_size}},
    num_workers={{_base_.train_dataloader.num_workers}},
    persistent_workers=False,
    dataset=dict(
        type='LongTailDataset',
        split='dev',
        dev_per_class=dev_per_class,
        dev_seed=0,
        dataset={{_base_.train_dataloader.dataset.dataset}}),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
