# Learning to re-weight (L2RW, Ren et al., ICML 2018) as compared by
# Jamal et al. (CVPR 2020) on Fashion-MNIST-LT (IF 100), the short
# recipe: the meta-reweighted CE config with no pre-training, no class
# weights and the weights max(-grad eps, 0) normalised to sum to one, every
# iteration from epoch 0 (tau is unused). Jamal et al.: "L2RW".
_base_ = ('../meta-reweight/'
          'meta-reweight-ce_resnet8_1xb128_fashion-mnist-lt-r100.py')

model = dict(variant='l2rw', meta_start_epoch=0)
