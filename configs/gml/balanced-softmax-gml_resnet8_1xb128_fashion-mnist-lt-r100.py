# Balanced softmax (BSCE) + GML ("No One Left Behind", Du and Wu, CVPR 2023,
# Tab. 6 on CIFAR-100-LT) on Fashion-MNIST-LT (IF 100): the GML classifier
# stage of ce-gml_resnet8_1xb128_fashion-mnist-lt-r100.py on the balanced
# softmax model (Ren et al., NeurIPS 2020). That model is the CE model (a
# ResNet-8 with a linear classifier; only its training loss differs), so the
# config is ce-gml_*'s: backbone frozen (weights and BN statistics), linear
# classifier re-initialised and trained 2 epochs with the count-re-weighted
# geometric mean loss on instance-balanced batches; only the stage-one
# checkpoint differs, e.g.
#  BS=work_dirs/balanced-softmax_resnet8_1xb128_fashion-mnist-lt-r100
#  CFG=configs/gml/balanced-softmax-gml_resnet8_1xb128_fashion-mnist-lt-r100.py
#  tools/train.py $CFG --cfg-options load_from=$BS/epoch_6.pth
# Stage one is configs/balanced-softmax/
# balanced-softmax_resnet8_1xb128_fashion-mnist-lt-r100.py (benchmark row
# Balanced-Softmax); this config is the benchmark row BS-GML, with the
# ensemble balanced-softmax-gml-ensemble_*.
_base_ = './ce-gml_resnet8_1xb128_fashion-mnist-lt-r100.py'
