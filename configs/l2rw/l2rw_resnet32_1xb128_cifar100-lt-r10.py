# Learning to re-weight (L2RW, Ren et al., ICML 2018) as compared by
# Jamal et al. (CVPR 2020): the meta-reweighted CE config at IF 10
# with no pre-training, no class weights and the weights
# max(-grad eps, 0) normalised to sum to one, every iteration from epoch 0.
# Jamal et al., CIFAR-LT-100 table, IF 10: "L2RW".
_base_ = ('../meta-reweight/'
          'meta-reweight-ce_resnet32_1xb128_cifar100-lt-r10.py')

model = dict(variant='l2rw', meta_start_epoch=0)
