# CE + GML without re-weighting, with class-balanced re-sampling instead, on
# CIFAR-100-LT (IF 100): the ablation of "No One Left Behind" (CVPR 2023),
# Tab. 8 "(w/o re-weighting, re-sampling)". The slides do not spell the row
# out; mmlt reads it as "re-sampling in place of re-weighting", the only
# reading under which the default (re-weighting, instance-balanced batches,
# ce-gml_*) and "(w/o re-weighting)" (ce-gml-noreweight_*) differ from it by
# one switch each. Pass the CE checkpoint as load_from, as for ce-gml_*.
_base_ = './ce-gml-noreweight_resnet32_1xb128_cifar100-lt-r100.py'

# Class-balanced sampling (the CE config's DefaultSampler args dropped).
train_dataloader = dict(sampler=dict(_delete_=True, type='ClassAwareSampler'))
