# CE + GML without re-weighting on CIFAR-100-LT (IF 100), the ablation of
# "No One Left Behind" (CVPR 2023), Tab. 8 "(w/o re-weighting)": as
# ce-gml_resnet32_1xb128_cifar100-lt-r100.py, but the probabilities in the
# geometric mean loss are the plain softmax instead of n_j e^{o_j} /
# sum_c n_c e^{o_c}; batches stay instance-balanced. Pass the CE checkpoint
# as load_from, as for ce-gml_*.
_base_ = './ce-gml_resnet32_1xb128_cifar100-lt-r100.py'

model = dict(head=dict(loss=dict(reweight=False)))
