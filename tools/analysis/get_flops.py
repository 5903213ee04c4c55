# Copyright (c) mmlt contributors. All rights reserved.
"""FLOPs and parameters of a config's backbone and neck.

mmpretrain's ``tools/analysis_tools/get_flops.py`` feeds 3-channel images;
this one takes the channel count from the config (``model.backbone.
in_channels``, else the length of the data preprocessor's ``mean``), so
1-channel models such as the Fashion-MNIST ResNet-8 work::

    python tools/analysis/get_flops.py \\
        configs/ce/ce_resnet8_1xb128_fashion-mnist-lt-r100.py --shape 28
"""
import argparse

from mmengine.config import Config


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        default=[224, 224],
        help='input image size, H W or one side (default 224 224)')
    parser.add_argument(
        '--channels',
        type=int,
        help='input channels (default: from the config)')
    return parser.parse_args(argv)


def input_channels(cfg) -> int:
    """The number of input channels a config's model expects.

    Args:
        cfg (Config): The config.

    Returns:
        int: ``model.backbone.in_channels`` if set, else the length of the
        data preprocessor's ``mean``, else 3.
    """
    backbone = cfg.model.get('backbone') or {}
    if backbone.get('in_channels') is not None:
        return int(backbone['in_channels'])
    preprocessor = cfg.model.get('data_preprocessor') or cfg.get(
        'data_preprocessor') or {}
    if preprocessor.get('mean') is not None:
        return len(preprocessor['mean'])
    return 3


def main(argv=None):
    args = parse_args(argv)
    if len(args.shape) not in (1, 2):
        raise SystemExit(f'--shape takes one or two sizes, got {args.shape}.')
    size = tuple(args.shape) * (3 - len(args.shape))

    from mmengine.analysis import get_model_complexity_info
    from mmpretrain import get_model

    cfg = Config.fromfile(args.config)  # imports mmlt (custom_imports)
    channels = args.channels or input_channels(cfg)
    input_shape = (channels, ) + size
    model = get_model(cfg)
    model.eval()
    model.forward = model.extract_feat
    result = get_model_complexity_info(model, input_shape)
    print(result['out_table'])
    print(f'{"=" * 30}\nInput shape: {input_shape}\n'
          f'Flops: {result["flops_str"]}\nParams: {result["params_str"]}\n'
          f'Activation: {result["activations_str"]}\n{"=" * 30}')
    print('Only the backbone and neck are counted.')


if __name__ == '__main__':
    main()
