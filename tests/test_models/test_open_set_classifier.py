"""OpenSetClassifier keeps the raw logits; OpenSetDataPreprocessor tolerates unknown labels at test time."""
import copy

import pytest
import torch
from mmpretrain.structures import DataSample

from openmixosr.models import attach_predictions
from openmixosr.registry import MODELS

TINY_MODEL = dict(
    type='OpenSetClassifier',
    backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=3, in_channels=64),
    data_preprocessor=dict(type='OpenSetDataPreprocessor', num_classes=3, mean=[0.0] * 3, std=[1.0] * 3),
)


def test_attach_predictions_values():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 3.0, 1.0]])
    samples = attach_predictions(logits)
    assert torch.equal(samples[0].pred_logits, logits[0])
    assert samples[1].pred_label.item() == 1
    expected = torch.exp(logits[0]) / torch.exp(logits[0]).sum()
    torch.testing.assert_close(samples[0].pred_score, expected)


def test_predict_stores_the_head_logits():
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(TINY_MODEL)).eval()
    inputs = torch.randn(4, 3, 16, 16)
    samples = model(inputs, [DataSample() for _ in range(4)], mode='predict')
    expected = model(inputs, mode='tensor')
    torch.testing.assert_close(torch.stack([s.pred_logits for s in samples]), expected)


@pytest.mark.parametrize('augment', ['CutMix', 'Mixup'])
def test_batch_augmented_model_evaluates_unknown_labels(augment):
    cfg = dict(copy.deepcopy(TINY_MODEL), train_cfg=dict(augments=dict(type=augment, alpha=1.0)))
    model = MODELS.build(cfg)
    samples = [DataSample().set_gt_label(label) for label in (0, 2, -1, -1)]
    data = dict(inputs=[torch.randint(0, 255, (3, 16, 16), dtype=torch.uint8) for _ in range(4)],
                data_samples=samples)
    outputs = model.val_step(data)  # mmpretrain's preprocessor would one-hot the -1 labels and fail
    assert [int(s.gt_label) for s in outputs] == [0, 2, -1, -1]
    # Training still converts labels to mixed one-hot scores.
    train_samples = [DataSample().set_gt_label(label) for label in (0, 1, 2, 0)]
    batch = model.data_preprocessor(dict(inputs=data['inputs'], data_samples=train_samples), training=True)
    scores = torch.stack([s.gt_score for s in batch['data_samples']])
    torch.testing.assert_close(scores.sum(dim=1), torch.ones(4))
