# Copyright (c) mmlt contributors. All rights reserved.
"""The RIDE part of tools/benchmarks/cost_benchmark.py: the experts'
compute as RIDE reports it, and the routed average."""
import pytest
import torch
from test_tools.test_benchmarks import load_tool


def test_expected_flops_of_a_routed_model():
    cost = load_tool('cost_benchmark')
    shared, experts, routers = 10.0, [4.0, 5.0, 6.0], [1.0, 2.0]
    # Everybody uses all three: every expert and both decisions.
    assert cost.ride_expected_flops(shared, experts, routers,
                                    [0, 0, 1]) == 10 + 15 + 3
    # Everybody stops after one expert: its decision only.
    assert cost.ride_expected_flops(shared, experts, routers,
                                    [1, 0, 0]) == 10 + 4 + 1
    # Half stop after one, a quarter after two, a quarter use three.
    want = 10 + 4 + 1 + 0.5 * (5 + 2) + 0.25 * 6
    assert cost.ride_expected_flops(shared, experts, routers,
                                    [0.5, 0.25, 0.25]) == pytest.approx(want)


def test_fashion_mnist_flops_add_up():
    from mmengine.analysis import FlopAnalyzer
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    cost = load_tool('cost_benchmark')
    name, ride_cfg, single_cfg, shape = cost.RIDE_MODELS[0]
    flops = cost.ride_flops(ride_cfg, single_cfg, shape)
    model = MODELS.build(Config.fromfile(ride_cfg).model).eval()
    total = FlopAnalyzer(model.backbone, torch.zeros(1, *shape)).total()
    # Shared part + 3 experts (stages and a 48 x 10 classifier each).
    assert flops['shared'] + sum(flops['experts']) == total + 3 * 48 * 10
    assert len(set(flops['experts'])) == 1
    # The router: 48 -> 16 on the feature, 16 + 10 -> 1.
    assert flops['routers'] == [48 * 16 + 16 + 10] * 2
    # Three reduced experts cost more than one ResNet-8, less than three.
    full = flops['shared'] + sum(flops['experts'])
    assert flops['single'] < full < 3 * flops['single']


def test_router_usage_on_the_test_set(tmp_path, fmnist_root):
    """The shares of test samples using 1, 2, 3 experts, from a router
    checkpoint: all on one expert when the router always declines."""
    from argparse import Namespace

    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    cost = load_tool('cost_benchmark')
    cfg = Config.fromfile(cost.RIDE_ROUTER_CONFIG)
    model = MODELS.build(cfg.model)
    model.init_weights()
    with torch.no_grad():
        model.head.router.fc.weight.zero_()
        model.head.router.fc.bias.fill_(-10.0)
    path = str(tmp_path / 'router.pth')
    torch.save({'state_dict': model.state_dict()}, path)
    args = Namespace(ride_checkpoint=path, data_root=fmnist_root, device='cpu')
    assert cost.measure_ride_usage(args) == [1.0, 0.0, 0.0]
    with torch.no_grad():
        model.head.router.fc.bias.fill_(10.0)
    torch.save({'state_dict': model.state_dict()}, path)
    assert cost.measure_ride_usage(args) == [0.0, 0.0, 1.0]
