# Copyright (c) mmlt contributors. All rights reserved.
"""mmpretrain's inference APIs on mmlt configs and checkpoints."""
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmpretrain import (ImageClassificationInferencer, get_model,
                        inference_model, init_model, list_models)
from mmpretrain.apis import ModelHub

import mmlt  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CE = 'ce_resnet8_1xb128_fashion-mnist-lt-r100'
CE_CFG = osp.join(ROOT, 'configs/ce', CE + '.py')
COUNTS = [6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60]
CLASSES = [f'item{i}' for i in range(10)]


def test_get_model_by_mmlt_config_name():
    assert 'glag-stage2_resnet8_1xb128_fashion-mnist-lt-r100' in list_models(
        'glag')
    model = get_model(CE)
    assert model._metainfo.name == CE
    assert osp.samefile(model._metainfo.config.filename,
                        osp.join(ROOT, 'configs/ce', CE + '.py'))
    # The backbone is mmlt's (registered by importing mmlt): 1 channel.
    assert model.backbone.conv1.in_channels == 1
    # Measured configs carry the benchmark's numbers; the others say so.
    measured = ModelHub.get(CE)
    assert measured.results[0].metrics['Top 1 Accuracy'] > 0
    assert measured.metadata.data['Status'].startswith('measured')
    other = ModelHub.get('ce_resnet32_1xb128_cifar10-lt-r100')
    assert other.metadata.data['Status'] == 'not yet reproduced'
    assert not other.results[0].metrics
    # Built by name, the model has a task, so inference_model works.
    result = inference_model(model, np.zeros((28, 28), np.uint8))
    assert 0 <= result['pred_label'] < 10


@pytest.fixture
def la_cfg(tmp_path):
    """The CE model predicting with post-hoc logit adjustment."""
    path = str(tmp_path / 'posthoc_la.py')
    with open(path, 'w') as f:
        f.write(f"_base_ = {CE_CFG!r}\n"
                "model = dict(head=dict(type='LogitAdjustedLinearClsHead', "
                "tau=1.0))\n")
    return path


@pytest.fixture
def la_checkpoint(tmp_path, la_cfg):
    """A logit-adjusted model's checkpoint as the runner writes it: the
    state dict (with the head's counts) and the meta."""
    torch.manual_seed(0)
    model = get_model(la_cfg)
    model.head.set_class_counts(COUNTS)
    path = str(tmp_path / 'la.pth')
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(class_counts=COUNTS,
                      dataset_meta=dict(classes=CLASSES))), path)
    return path, model


def _manual_scores(model, img):
    x = (torch.as_tensor(img, dtype=torch.float32) - 72.94) / 90.02
    with torch.no_grad():
        logits = model.head(model.extract_feat(x[None, None]))
    prior = torch.tensor(COUNTS, dtype=torch.float32) / sum(COUNTS)
    return torch.softmax(logits - prior.log(), 1)[0].numpy()


def test_model_from_checkpoint_gets_counts(la_checkpoint, la_cfg):
    path, trained = la_checkpoint
    for model in (get_model(la_cfg, pretrained=path), init_model(la_cfg,
                                                                 path)):
        assert model.head.class_counts.tolist() == COUNTS
        assert model._dataset_meta['classes'] == CLASSES
        img = np.random.default_rng(0).integers(0, 256, (28, 28), np.uint8)
        inferencer = ImageClassificationInferencer(model)
        result = inferencer(img)[0]
        np.testing.assert_allclose(
            result['pred_scores'], _manual_scores(trained, img), atol=1e-5)
        assert result['pred_class'] == CLASSES[result['pred_label']]


def test_inferencer_takes_image_paths_on_one_channel_models(
        la_checkpoint, la_cfg, tmp_path):
    path, trained = la_checkpoint
    img = np.random.default_rng(1).integers(0, 256, (28, 28), np.uint8)
    png = str(tmp_path / 'item.png')
    mmcv.imwrite(img, png)  # read back as 3-channel BGR
    inferencer = ImageClassificationInferencer(la_cfg, pretrained=path)
    result = inferencer(png)[0]
    np.testing.assert_allclose(
        result['pred_scores'], _manual_scores(trained, img), atol=1e-5)
    assert result['pred_class'] in CLASSES


def test_loading_keeps_set_counts_and_accepts_plain_heads(
        la_checkpoint, la_cfg):
    path, _ = la_checkpoint
    model = get_model(la_cfg, head=dict(class_counts=list(range(1, 11))))
    ckpt = torch.load(path, map_location='cpu')
    model.load_state_dict(ckpt['state_dict'])
    assert model.head.class_counts.tolist() == list(range(1, 11))
    # A plain linear head's checkpoint (CE) loads without a missing key.
    ce = get_model(CE)
    fresh = get_model(la_cfg)
    missing, unexpected = fresh.load_state_dict(ce.state_dict(), strict=False)
    assert not missing and not unexpected
    assert not fresh.head.has_class_counts
