"""OpenSetClassifier keeps the raw logits; OpenSetDataPreprocessor scores labels in training only (-1 at test)."""
import copy

import numpy as np
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


def _batch(labels, seed=0):
    generator = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 255, (3, 8, 8), dtype=torch.uint8, generator=generator) for _ in labels]
    return dict(inputs=inputs, data_samples=[DataSample().set_gt_label(label) for label in labels])


@pytest.mark.parametrize('augment', ['CutMix', 'Mixup'])
def test_training_batches_match_mmpretrain(augment):
    # In training the preprocessor does exactly what mmpretrain's does: same mixed images, same mixed scores.
    from mmpretrain.models import ClsDataPreprocessor
    options = dict(num_classes=3, mean=[10.0] * 3, std=[2.0] * 3,
                   batch_augments=dict(augments=dict(type=augment, alpha=1.0)))
    ours, theirs = MODELS.build(dict(type='OpenSetDataPreprocessor', **options)), ClsDataPreprocessor(**options)
    results = []
    for preprocessor in (ours, theirs):
        torch.manual_seed(3)
        np.random.seed(3)
        results.append(preprocessor(_batch((0, 1, 2, 0)), training=True))
    torch.testing.assert_close(results[0]['inputs'], results[1]['inputs'])
    ours_scores, theirs_scores = ([s.gt_score for s in result['data_samples']] for result in results)
    torch.testing.assert_close(torch.stack(ours_scores), torch.stack(theirs_scores))
    assert not torch.equal(torch.stack(ours_scores), torch.eye(3)[[0, 1, 2, 0]])  # really mixed


def test_labels_become_scores_only_in_training():
    plain = MODELS.build(dict(type='OpenSetDataPreprocessor', num_classes=3))
    assert 'gt_score' not in plain(_batch((0, 1)), training=True)['data_samples'][0]
    onehot = MODELS.build(dict(type='OpenSetDataPreprocessor', num_classes=3, to_onehot=True))
    trained = onehot(_batch((2, 0)), training=True)['data_samples']
    torch.testing.assert_close(torch.stack([s.gt_score for s in trained]).float(), torch.eye(3)[[2, 0]])
    evaluated = onehot(_batch((2, -1)), training=False)['data_samples']
    assert [int(s.gt_label) for s in evaluated] == [2, -1] and all('gt_score' not in s for s in evaluated)


def test_scores_need_the_number_of_classes():
    preprocessor = MODELS.build(dict(type='OpenSetDataPreprocessor', to_onehot=True))
    with pytest.raises(ValueError, match='needs num_classes'):
        preprocessor(_batch((0, 1)), training=True)
