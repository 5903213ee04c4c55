# Copyright (c) mmlt contributors. All rights reserved.
"""What the docs and the model index say about each method folder.

``gen_model_index.py`` reads this file. Results are copied from the
benchmark tables of ``docs/en/results.md`` (mean over seeds 0 and 1, in
percent); update them there and here together, then re-run the generator.
"""

#: The command and recipe behind every number in ``RESULTS``.
BENCHMARKS = {
    'bench1':
    dict(
        command='python tools/benchmarks/accuracy_benchmark.py',
        recipe='Fashion-MNIST-LT (exp profile, IF 100, 14,886 training '
        'images), ResNet-8, batch 128, SGD, 6 epochs (two-stage methods add '
        'a 2-epoch second stage); seeds 0 and 1, mean; balanced 10,000-image '
        'test set'),
    'bench3':
    dict(
        command='OMP_NUM_THREADS=1 python tools/benchmarks/'
        'accuracy_benchmark.py --seeds 0 1 --methods <the methods>',
        recipe='the same data, seeds and 6-epoch recipe as the first '
        'benchmark, after the fidelity fixes of category-wise GHM, GLAG and '
        'meta-reweighting (see docs/en/results.md, third benchmark run)'),
    'bench4':
    dict(
        command='OMP_NUM_THREADS=1 python tools/benchmarks/'
        'accuracy_benchmark.py --seeds 0 1 --methods PaCo PaCo-GML '
        'PaCo-GML-ensemble (and RIDE RIDE-experts RIDE-GML)',
        recipe='the same data, seeds and 6-epoch quick recipe as the third '
        'benchmark run (see docs/en/results.md, PaCo and RIDE); CE is far '
        'from converged on this recipe'),
    'bench2':
    dict(
        command='OMP_NUM_THREADS=1 python tools/benchmarks/'
        'accuracy_benchmark.py --seeds 0 1 --methods <the methods>',
        recipe='the same data, seeds and recipe as the first benchmark, run '
        'with one thread per process (see docs/en/results.md, second '
        'benchmark run)'),
}

#: config name -> (benchmark, method row, top-1, Many, Medium, Few, G-mean,
#: H-mean, lowest recall).
RESULTS = {
    # PaCo and RIDE, quick recipe, seeds 0 and 1.
    'paco_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench4', 'PaCo', 63.21, 69.22, 52.10, 66.30, 55.50, 42.47, 24.60),
    'paco-gml_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench4', 'PaCo-GML', 63.98, 57.20, 57.97, 79.02, 59.50, 53.90, 25.50),
    'paco-gml-ensemble_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench4', 'PaCo-GML-ensemble', 65.33, 60.65, 57.90, 78.98, 62.03, 58.31,
     31.35),
    'ride-router_resnet8-3exp_1xb512_fashion-mnist-lt-r100':
    ('bench4', 'RIDE', 84.08, 91.03, 66.22, 92.68, 78.00, 66.06, 19.35),
    'ride_resnet8-3exp_1xb128_fashion-mnist-lt-r100':
    ('bench4', 'RIDE-experts', 84.11, 91.04, 66.33, 92.65, 78.05, 66.15,
     19.40),
    'ride-gml_resnet8-3exp_1xb128_fashion-mnist-lt-r100':
    ('bench4', 'RIDE-GML', 76.91, 66.47, 75.00, 92.73, 73.88, 69.70, 36.65),
    # Third benchmark run: after the fidelity fixes (category-wise GHM,
    # GLAG, meta-reweighting).
    'category-ghm-r_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench3', 'CatGHM-R', 76.15, 90.79, 58.43, 74.37, 64.96, 40.39, 7.3),
    'category-ghm-a-u_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench3', 'CatGHM-A-U', 69.54, 92.54, 52.72, 55.7, 37.27, 1.45, 0.1),
    'category-ghm-r-a-u_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench3', 'CatGHM-R-A-U', 75.75, 90.91, 58.3, 72.98, 63.99, 38.23, 6.65),
    'category-ghm_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench3', 'CatGHM-R-A-AU', 75.94, 90.68, 58.2, 74.03, 64.03, 37.53, 6.45),
    'meta-reweight-ce_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench3', 'CB-Meta', 79.01, 87.78, 60.53, 85.82, 72.22, 58.35, 15.15),
    'cb-drw_resnet8_1xb128_fashion-mnist-lt-r100': ('bench3', 'CB-DRW', 79.03,
                                                    87.97, 60.15, 85.98, 71.67,
                                                    56.34, 13.8),
    'glag-stage1_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench3', 'GraLoss', 78.95, 87.9, 63.3, 82.68, 73.81, 64.58, 20.75),
    'glag-stage2_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench3', 'GLAG', 81.12, 87.42, 65.62, 88.23, 77.86, 72.57, 30.15),
    'glag-stage2-lambda0_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench3', 'GLAG-lambda0', 81.08, 86.99, 66.88, 87.38, 78.04, 73.22,
     31.45),
    'glag-stage2-nogen_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench3', 'GLAG-noGen', 75.52, 91.17, 58.68, 71.5, 63.24, 38.15, 6.85),
    'glag-stage2-nogen-nokd_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench3', 'GLAG-noGen-noKD', 72.06, 92.64, 53.65, 63.03, 42.85, 2.42,
     0.25),
    'ce_resnet8_1xb128_fashion-mnist-lt-r100': ('bench1', 'CE', 71.01, 92.25,
                                                54.83, 58.88, 37.76, 0.99,
                                                0.05),
    'cb_resnet8_1xb128_fashion-mnist-lt-r100': ('bench1', 'CB', 74.83, 82.24,
                                                51.37, 88.42, 65.58, 45.90,
                                                9.45),
    'cb-inverse_resnet8_1xb128_fashion-mnist-lt-r100': ('bench1', 'CB-inverse',
                                                        73.95, 80.84, 50.30,
                                                        88.43, 66.39, 51.99,
                                                        12.95),
    'cb-focal_resnet8_1xb128_fashion-mnist-lt-r100': ('bench1', 'CB-focal',
                                                      74.46, 83.36, 46.53,
                                                      90.52, 61.32, 32.72,
                                                      5.25),
    'focal_resnet8_1xb128_fashion-mnist-lt-r100': ('bench1', 'Focal', 72.19,
                                                   91.24, 55.23, 63.77, 44.76,
                                                   4.55, 0.45),
    'ghm_resnet8_1xb128_fashion-mnist-lt-r100': ('bench1', 'GHM', 49.30, 82.41,
                                                 34.67, 19.77, 11.03, 0.53,
                                                 0.00),
    'eql_resnet8_1xb128_fashion-mnist-lt-r100': ('bench1', 'EQL', 68.94, 92.53,
                                                 42.43, 64.02, 37.32, 1.46,
                                                 0.10),
    'seesaw_resnet8_1xb128_fashion-mnist-lt-r100': ('bench1', 'Seesaw', 76.61,
                                                    91.16, 58.95, 74.87, 66.50,
                                                    44.84, 8.90),
    'ce-drw_resnet8_1xb128_fashion-mnist-lt-r100': ('bench1', 'CE-DRW', 79.81,
                                                    88.16, 63.82, 84.67, 75.27,
                                                    67.19, 24.15),
    'ldam-drw_resnet8_1xb128_fashion-mnist-lt-r100': ('bench1', 'LDAM-DRW',
                                                      83.51, 90.23, 65.20,
                                                      92.88, 77.19, 64.68,
                                                      18.10),
    'balanced-softmax_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench1', 'Balanced-Softmax', 80.39, 87.00, 64.93, 87.05, 76.74, 70.65,
     27.15),
    'logit-adjustment_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench1', 'Logit-Adjustment', 80.39, 87.00, 64.93, 87.05, 76.74, 70.65,
     27.15),
    'crt_resnet8_1xb128_fashion-mnist-lt-r100': ('bench1', 'cRT', 81.55, 87.12,
                                                 67.60, 88.08, 79.27, 75.84,
                                                 37.45),
    'crt-onerun_resnet8_1xb128_fashion-mnist-lt-r100': ('bench1', 'cRT-onerun',
                                                        78.45, 85.56, 62.18,
                                                        85.23, 74.01, 66.04,
                                                        23.75),
    'lws_resnet8_1xb128_fashion-mnist-lt-r100': ('bench1', 'LWS', 80.13, 87.41,
                                                 66.65, 83.90, 77.44, 73.19,
                                                 34.10),
    'mislas-stage2_resnet8_1xb128_fashion-mnist-lt-r100': ('bench1', 'MiSLAS',
                                                           78.35, 82.10, 68.80,
                                                           82.90, 76.79, 74.75,
                                                           42.60),
    'tau-norm_resnet8_1xb128_fashion-mnist-lt-r100': ('bench1', 'tau-norm',
                                                      69.08, 83.71, 62.60,
                                                      56.07, 53.12, 24.05,
                                                      4.70),
    'ce-gml_resnet8_1xb128_fashion-mnist-lt-r100': ('bench1', 'CE-GML', 74.51,
                                                    64.62, 72.78, 89.43, 71.70,
                                                    68.29, 37.65),
    'ce-gml-ensemble_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench1', 'CE-GML-ensemble', 80.83, 85.50, 67.63, 87.80, 79.29, 77.30,
     45.00),
    # Second benchmark run: the methods of the category-wise GHM, GLAG and
    # meta-reweighting papers.
    'glag-stage1-linear_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench2', 'GraLoss-linear', 79.59, 87.94, 63.75, 84.30, 75.01, 66.96,
     22.85),
    'glag-stage1-concave_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench2', 'GraLoss-concave', 80.07, 87.29, 64.60, 85.93, 75.94, 68.82,
     24.90),
    'glag-stage1-convex3_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench2', 'GraLoss-convex3', 77.85, 88.04, 62.55, 79.57, 71.59, 60.02,
     17.20),
    'gra-crt_resnet8_1xb128_fashion-mnist-lt-r100': ('bench2', 'GraLoss-cRT',
                                                     80.89, 87.32, 66.23,
                                                     86.97, 78.19, 73.99,
                                                     34.80),
    'gra-lws_resnet8_1xb128_fashion-mnist-lt-r100': ('bench2', 'GraLoss-LWS',
                                                     79.99, 86.67, 65.67,
                                                     85.40, 77.11, 72.57,
                                                     33.20),
    'gra-mislas-stage2_resnet8_1xb128_fashion-mnist-lt-r100':
    ('bench2', 'GraLoss-MiSLAS', 78.17, 82.57, 68.05, 82.43, 76.57, 74.44,
     41.30),
}

#: Papers, by key.
PAPERS = {
    'cb':
    dict(
        title='Class-Balanced Loss Based on Effective Number of Samples',
        cite='Cui et al., CVPR 2019',
        url='https://arxiv.org/abs/1901.05555',
        bibtex="""@inproceedings{cui2019classbalanced,
  title={Class-Balanced Loss Based on Effective Number of Samples},
  author={Cui, Yin and Jia, Menglin and Lin, Tsung-Yi and Song, Yang and Belongie, Serge},
  booktitle={IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)},
  year={2019}
}"""),  # noqa: E501
    'focal':
    dict(
        title='Focal Loss for Dense Object Detection',
        cite='Lin et al., ICCV 2017',
        url='https://arxiv.org/abs/1708.02002',
        bibtex="""@inproceedings{lin2017focal,
  title={Focal Loss for Dense Object Detection},
  author={Lin, Tsung-Yi and Goyal, Priya and Girshick, Ross and He, Kaiming and Doll{\\'a}r, Piotr},
  booktitle={IEEE International Conference on Computer Vision (ICCV)},
  year={2017}
}"""),  # noqa: E501
    'ghm':
    dict(
        title='Gradient Harmonized Single-stage Detector',
        cite='Li et al., AAAI 2019',
        url='https://arxiv.org/abs/1811.05181',
        bibtex="""@inproceedings{li2019ghm,
  title={Gradient Harmonized Single-stage Detector},
  author={Li, Buyu and Liu, Yu and Wang, Xiaogang},
  booktitle={AAAI Conference on Artificial Intelligence},
  year={2019}
}"""),
    'eql':
    dict(
        title='Equalization Loss for Long-Tailed Object Recognition',
        cite='Tan et al., CVPR 2020',
        url='https://arxiv.org/abs/2003.05176',
        bibtex="""@inproceedings{tan2020equalization,
  title={Equalization Loss for Long-Tailed Object Recognition},
  author={Tan, Jingru and Wang, Changbao and Li, Buyu and Li, Quanquan and Ouyang, Wanli and Yin, Changqing and Yan, Junjie},
  booktitle={IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)},
  year={2020}
}"""),  # noqa: E501
    'seesaw':
    dict(
        title='Seesaw Loss for Long-Tailed Instance Segmentation',
        cite='Wang et al., CVPR 2021',
        url='https://arxiv.org/abs/2008.10032',
        bibtex="""@inproceedings{wang2021seesaw,
  title={Seesaw Loss for Long-Tailed Instance Segmentation},
  author={Wang, Jiaqi and Zhang, Wenwei and Zang, Yuhang and Cao, Yuhang and Pang, Jiangmiao and Gong, Tao and Chen, Kai and Liu, Ziwei and Loy, Chen Change and Lin, Dahua},
  booktitle={IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)},
  year={2021}
}"""),  # noqa: E501
    'ldam':
    dict(
        title='Learning Imbalanced Datasets with Label-Distribution-Aware '
        'Margin Loss',
        cite='Cao et al., NeurIPS 2019',
        url='https://arxiv.org/abs/1906.07413',
        bibtex="""@inproceedings{cao2019ldam,
  title={Learning Imbalanced Datasets with Label-Distribution-Aware Margin Loss},
  author={Cao, Kaidi and Wei, Colin and Gaidon, Adrien and Arechiga, Nikos and Ma, Tengyu},
  booktitle={Advances in Neural Information Processing Systems (NeurIPS)},
  year={2019}
}"""),  # noqa: E501
    'bsce':
    dict(
        title='Balanced Meta-Softmax for Long-Tailed Visual Recognition',
        cite='Ren et al., NeurIPS 2020',
        url='https://arxiv.org/abs/2007.10740',
        bibtex="""@inproceedings{ren2020balanced,
  title={Balanced Meta-Softmax for Long-Tailed Visual Recognition},
  author={Ren, Jiawei and Yu, Cunjun and Sheng, Shunan and Ma, Xiao and Zhao, Haiyu and Yi, Shuai and Li, Hongsheng},
  booktitle={Advances in Neural Information Processing Systems (NeurIPS)},
  year={2020}
}"""),  # noqa: E501
    'la':
    dict(
        title='Long-tail learning via logit adjustment',
        cite='Menon et al., ICLR 2021',
        url='https://arxiv.org/abs/2007.07314',
        bibtex="""@inproceedings{menon2021logit,
  title={Long-tail learning via logit adjustment},
  author={Menon, Aditya Krishna and Jayasumana, Sadeep and Rawat, Ankit Singh and Jain, Himanshu and Veit, Andreas and Kumar, Sanjiv},
  booktitle={International Conference on Learning Representations (ICLR)},
  year={2021}
}"""),  # noqa: E501
    'decoupling':
    dict(
        title='Decoupling Representation and Classifier for Long-Tailed '
        'Recognition',
        cite='Kang et al., ICLR 2020',
        url='https://arxiv.org/abs/1910.09217',
        bibtex="""@inproceedings{kang2020decoupling,
  title={Decoupling Representation and Classifier for Long-Tailed Recognition},
  author={Kang, Bingyi and Xie, Saining and Rohrbach, Marcus and Yan, Zhicheng and Gordo, Albert and Feng, Jiashi and Kalantidis, Yannis},
  booktitle={International Conference on Learning Representations (ICLR)},
  year={2020}
}"""),  # noqa: E501
    'mislas':
    dict(
        title='Improving Calibration for Long-Tailed Recognition',
        cite='Zhong et al., CVPR 2021',
        url='https://arxiv.org/abs/2104.00466',
        bibtex="""@inproceedings{zhong2021mislas,
  title={Improving Calibration for Long-Tailed Recognition},
  author={Zhong, Zhisheng and Cui, Jiequan and Liu, Shu and Jia, Jiaya},
  booktitle={IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)},
  year={2021}
}"""),  # noqa: E501
    'l2rw':
    dict(
        title='Learning to Reweight Examples for Robust Deep Learning',
        cite='Ren et al., ICML 2018',
        url='https://arxiv.org/abs/1803.09050',
        bibtex="""@inproceedings{ren2018l2rw,
  title={Learning to Reweight Examples for Robust Deep Learning},
  author={Ren, Mengye and Zeng, Wenyuan and Yang, Bin and Urtasun, Raquel},
  booktitle={International Conference on Machine Learning (ICML)},
  year={2018}
}"""),
    'catghm':
    dict(
        title='Solving the Long-Tailed Problem via Intra- and Inter-Category '
        'Balance',
        cite='Zhang et al., ICASSP 2022',
        url='https://arxiv.org/abs/2204.09234',
        bibtex="""@inproceedings{zhang2022intra,
  title={Solving the Long-Tailed Problem via Intra- and Inter-Category Balance},
  author={Zhang, Renhui and Lin, Tiancheng and Zhang, Rui and Xu, Yi},
  booktitle={IEEE International Conference on Acoustics, Speech and Signal Processing (ICASSP)},
  year={2022}
}"""),  # noqa: E501
    'glag':
    dict(
        title='Long-Tailed Classification with Gradual Balanced Loss and '
        'Adaptive Feature Generation',
        cite='Zhang and Xiang, 2022',
        url='https://arxiv.org/abs/2203.00452',
        bibtex="""@article{zhang2022glag,
  title={Long-Tailed Classification with Gradual Balanced Loss and Adaptive Feature Generation},
  author={Zhang, Zihan and Xiang, Xiang},
  journal={arXiv preprint arXiv:2203.00452},
  year={2022}
}"""),  # noqa: E501
    'jamal':
    dict(
        title='Rethinking Class-Balanced Methods for Long-Tailed Visual '
        'Recognition from a Domain Adaptation Perspective',
        cite='Jamal et al., CVPR 2020',
        url='https://arxiv.org/abs/2003.10780',
        bibtex="""@inproceedings{jamal2020rethinking,
  title={Rethinking Class-Balanced Methods for Long-Tailed Visual Recognition from a Domain Adaptation Perspective},
  author={Jamal, Muhammad Abdullah and Brown, Matthew and Yang, Ming-Hsuan and Wang, Liqiang and Gong, Boqing},
  booktitle={IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)},
  year={2020}
}"""),  # noqa: E501
    'gml':
    dict(
        title='No One Left Behind: Improving the Worst Categories in '
        'Long-Tailed Learning',
        cite='Du and Wu, CVPR 2023',
        url=None,
        bibtex="""@inproceedings{du2023noone,
  title={No One Left Behind: Improving the Worst Categories in Long-Tailed Learning},
  author={Du, Yingxiao and Wu, Jianxin},
  booktitle={IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)},
  year={2023}
}"""),  # noqa: E501
    'paco':
    dict(
        title='Parametric Contrastive Learning',
        cite='Cui et al., ICCV 2021',
        url='https://arxiv.org/abs/2107.12028',
        bibtex="""@inproceedings{cui2021paco,
  title={Parametric Contrastive Learning},
  author={Cui, Jiequan and Zhong, Zhisheng and Liu, Shu and Yu, Bei and Jia, Jiaya},
  booktitle={IEEE/CVF International Conference on Computer Vision (ICCV)},
  year={2021}
}"""),  # noqa: E501
    'ride':
    dict(
        title='Long-tailed Recognition by Routing Diverse Distribution-Aware '
        'Experts',
        cite='Wang et al., ICLR 2021',
        url='https://arxiv.org/abs/2010.01809',
        bibtex="""@inproceedings{wang2021ride,
  title={Long-tailed Recognition by Routing Diverse Distribution-Aware Experts},
  author={Wang, Xudong and Lian, Long and Miao, Zhongqi and Liu, Ziwei and Yu, Stella X.},
  booktitle={International Conference on Learning Representations (ICLR)},
  year={2021}
}"""),  # noqa: E501
}

#: Method folder -> (collection name, paper key or None, architecture /
#: technique, abstract in our words, the mmlt modules).
METHODS = {
    'ce': ('Cross-entropy baseline', None, 'Softmax cross-entropy',
           'Plain softmax cross-entropy on the long-tailed training set: the '
           'baseline every other method is compared with. It is accurate on '
           'the head classes and predicts the rarest ones rarely, which is '
           'what the long-tail metrics (Many/Medium/Few, G-/H-mean and '
           'lowest recall) expose.', 'mmpretrain `CrossEntropyLoss`'),
    'cb': ('Class-balanced loss', 'cb', 'Class-balanced re-weighting',
           'Weights each sample\'s loss by the inverse of its class\'s '
           '"effective number" of samples, (1 - beta^n) / (1 - beta), '
           'normalised to sum to the number of classes, so a class\'s '
           'weight saturates as it grows instead of falling linearly.',
           '`ClassBalancedLoss(weighting=\'effective_number\')`'),
    'cb-inverse':
    ('Inverse-frequency re-weighting', 'cb', 'Class-balanced re-weighting',
     'Weights each sample\'s loss by the inverse frequency of '
     'its class (the "Class Balanced" row of the category-wise '
     'GHM paper), normalised to sum to the number of classes.',
     '`ClassBalancedLoss(weighting=\'inverse\')`'),
    'cb-focal': ('Class-balanced focal loss', 'cb',
                 'Class-balanced re-weighting, focal loss',
                 'The sigmoid focal loss weighted by the effective-number '
                 'class weights, as in the class-balanced loss paper.',
                 '`ClassBalancedLoss(loss_type=\'focal\')`'),
    'cb-drw':
    ('Class-balanced deferred re-weighting', 'ldam', 'Deferred re-weighting',
     'Cross-entropy whose effective-number class weights switch on '
     'only late in training (deferred re-weighting), the matched '
     'baseline of the meta-reweighting configs.',
     '`ReweightedCrossEntropyLoss` + `DeferredReweightingHook`'),
    'focal': ('Softmax focal loss', 'focal', 'Focal loss',
              'Down-weights well-classified samples by (1 - p_y)^gamma, here '
              'in its multi-class softmax form.', '`SoftmaxFocalLoss`'),
    'ghm': ('GHM-C', 'ghm', 'Gradient harmonizing',
            'Weights every logit by the inverse density of its gradient norm '
            '|sigmoid(x) - y| over uniform bins, so that the many easy '
            'logits do not dominate.', '`GHMCLoss`'),
    'eql': ('Equalization loss', 'eql', 'Equalization loss',
            'Drops the negative gradients that the samples of frequent '
            'classes send to rare classes, in its softmax form.',
            '`EqualizationLoss`'),
    'seesaw': ('Seesaw loss', 'seesaw', 'Seesaw loss',
               'Mitigates the penalty of frequent classes on rare ones in the '
               'softmax and compensates misclassified samples; mmpretrain\'s '
               'own implementation.', 'mmpretrain `SeesawLoss`'),
    'ldam': ('LDAM', 'ldam', 'Label-distribution-aware margins',
             'Gives every class a margin proportional to n^(-1/4) in a '
             'cosine classifier, so rare classes get larger margins.',
             '`LDAMLoss` + `NormedLinearClsHead`'),
    'ldam-drw': ('LDAM-DRW', 'ldam', 'LDAM, deferred re-weighting',
                 'LDAM margins, with class-balanced weights switched on late '
                 'in training (deferred re-weighting).',
                 '`LDAMLoss` + `DeferredReweightingHook`'),
    'ce-drw': ('CE-DRW', 'ldam', 'Deferred re-weighting',
               'Cross-entropy with class-balanced weights switched on late in '
               'training (deferred re-weighting).',
               '`ReweightedCrossEntropyLoss` + `DeferredReweightingHook`'),
    'balanced-softmax':
    ('Balanced softmax', 'bsce', 'Balanced softmax',
     'Trains with the log training prior added to the '
     'logits, which makes the softmax an unbiased '
     'estimate for a balanced test set.', '`BalancedSoftmaxLoss`'),
    'logit-adjustment': ('Logit adjustment', 'la', 'Logit adjustment',
                         'Adds tau times the log prior to the logits in the '
                         'loss (tau = 1 is balanced softmax), or subtracts '
                         'it after training.',
                         '`LogitAdjustedLoss`, `LogitAdjustedLinearClsHead`'),
    'decoupling': ('Decoupling', 'decoupling', 'Classifier re-training',
                   'Learns the representation with plain cross-entropy, then '
                   're-trains the classifier with class-balanced sampling '
                   '(cRT), learns per-class scales (LWS) or normalises the '
                   'classifier weights (tau-norm).',
                   '`DecoupledStageHook`, `LWSHead`, `TauNormHead`, '
                   '`ClassAwareSampler`'),
    'mislas': ('MiSLAS', 'mislas', 'Mixup, label-aware smoothing',
               'Mixup in stage one; in stage two a re-trained classifier '
               'with label-aware smoothing and shifted BatchNorm.',
               '`LabelAwareSmoothingLoss`, `LWSHead`, `DecoupledStageHook`'),
    'gml': ('GML', 'gml', 'Geometric mean loss',
            'A plug-in second stage for any trained model that targets the '
            'worst classes: a re-initialised classifier trained with the '
            'geometric-mean loss over the classes of the batch, optionally '
            'ensembled with the old classifier.',
            '`GeometricMeanLoss`, `EnsembleClsHead`'),
    'category-ghm':
    ('Category-wise GHM', 'catghm', 'Intra- and inter-category balance',
     'Separates two imbalances: between categories, margins '
     'from the ratio of their training counts enter the '
     'softmax; within a category, each sample is weighted by '
     'the inverse density of its gradient norm in that '
     'category\'s own histogram, on uniform or adaptive bins.',
     '`CategoryGHMLoss`'),
    'glag': ('GLAG', 'glag', 'Gradual balanced loss, feature generation',
             'Stage one trains the features with a logit-adjusted loss whose '
             'strength rises gradually from plain cross-entropy to balanced '
             'softmax. Stage two freezes them and trains the classifier on '
             'real features plus features generated for the tail classes '
             'from calibrated class statistics, with adaptive confidence and '
             'distillation from the stage-one classifier.',
             '`GradualBalancedLoss`, `GradualScheduleHook`, '
             '`AdaptiveFeatureGeneratorHead`, `ClassFeatureStatsHook`, '
             '`AdaptiveConfidenceHook`'),
    'meta-reweight': ('Meta-reweighting', 'jamal',
                      'Class-balanced weights, meta-learned sample weights',
                      'Adds to each sample\'s class-balanced weight a '
                      'per-sample term learned anew every iteration by a '
                      'look-ahead step whose loss is measured on a small '
                      'balanced development split of the training pool.',
                      '`MetaReweightClassifier`, `MetaReweightHook`'),
    'l2rw': ('L2RW', 'l2rw', 'Meta-learned sample weights',
             'Learning to re-weight as the meta-reweighting paper compares '
             'it: per-sample weights from the look-ahead gradient on the '
             'development split alone, without class weights.',
             '`MetaReweightClassifier(variant=\'l2rw\')`'),
    'paco':
    ('PaCo', 'paco', 'Supervised contrastive learning with class centres',
     'A supervised MoCo: each query view is contrasted with the key '
     'views of a momentum encoder, a queue of past keys with their '
     'labels and a set of learnable class centres (the linear '
     'classifier), whose logits are logit-adjusted by the class '
     'prior; weights alpha (sample positives), beta (the centre) and '
     'gamma (sample terms of the denominator) rebalance how much the '
     'head classes\' many positives pull. It predicts with the '
     'classifier alone.',
     '`PaCo`, `PaCoLoss`, `MultiViewClsDataPreprocessor`'),
    'ride': ('RIDE', 'ride', 'Multiple experts, diversity loss, routing',
             'Several experts share the early layers of one network and '
             'each has its own later stages and cosine classifier; each is '
             'trained with LDAM-DRW while a KL term pushes it away from the '
             'experts\' mean, with a class-dependent temperature. A second '
             'stage trains, on the frozen experts, a small router that '
             'decides per sample whether the next expert is needed, so easy '
             'samples are classified by fewer experts.',
             '`RIDECifarResNet`, `RIDEResNet`, `RIDEHead`, `ExpertRouter`, '
             '`RIDELoss`, `ExpertUsageMetric`'),
}
