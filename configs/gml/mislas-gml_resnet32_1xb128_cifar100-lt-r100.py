# MiSLAS + GML ("No One Left Behind", CVPR 2023, Tab. 5, 6) on CIFAR-100-LT
# (IF 100): the GML classifier stage on the full MiSLAS model (stage one
# with mixup, stage two with LWS, label-aware smoothing and shifted BN).
# As the GML paper does for MiSLAS, the classifier is fine-tuned with GML
# *plus* MiSLAS's label-aware smoothing loss (the smoothing of mislas-stage2_*:
# 0.4 for the most frequent class down to 0.1, concave). The backbone,
# with the BN statistics MiSLAS's stage two shifted, stays frozen; the LWS
# classifier is replaced by a re-initialised linear one. Pass the MiSLAS
# stage-two checkpoint, e.g.
#   S2=work_dirs/mislas-stage2_resnet32_1xb128_cifar100-lt-r100
#   CFG=configs/gml/mislas-gml_resnet32_1xb128_cifar100-lt-r100.py
#   tools/train.py $CFG --cfg-options load_from=$S2/epoch_10.pth
# (its head.scales is not used by the linear head: an expected warning).
_base_ = './ce-gml_resnet32_1xb128_cifar100-lt-r100.py'

model = dict(
    head=dict(
        loss=dict(
            _delete_=True,
            type='CombinedLoss',
            losses=[
                dict(type='GeometricMeanLoss', reweight=True),
                dict(
                    type='LabelAwareSmoothingLoss',
                    smooth_head=0.4,
                    smooth_tail=0.1,
                    shape='concave'),
            ])))
