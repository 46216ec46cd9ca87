"""OpenSetClassifier keeps the raw logits, and a batch-augmented one still evaluates unknown labels (-1).

The tiny classifier is built from the ``tiny_classifier_cfg`` and ``open_set_preprocessor_cfg`` fixtures
(tests/test_models/conftest.py); the preprocessor's own tests are in tests/test_models/test_data_preprocessors.
"""
import pytest
import torch
from mmpretrain.structures import DataSample

from openmixosr.registry import MODELS


@pytest.fixture
def tiny_model_cfg(tiny_classifier_cfg, open_set_preprocessor_cfg):
    """The tiny 3-class OpenSetClassifier with its OpenSetDataPreprocessor."""
    return dict(tiny_classifier_cfg(num_classes=3), data_preprocessor=open_set_preprocessor_cfg(3))


def test_predict_stores_the_head_logits(tiny_model_cfg):
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg).eval()
    inputs = torch.randn(4, 3, 16, 16)
    samples = model(inputs, [DataSample() for _ in range(4)], mode='predict')
    expected = model(inputs, mode='tensor')
    torch.testing.assert_close(torch.stack([s.pred_logits for s in samples]), expected)


@pytest.mark.parametrize('augment', ['CutMix', 'Mixup'])
def test_batch_augmented_model_evaluates_unknown_labels(augment, tiny_model_cfg):
    cfg = dict(tiny_model_cfg, train_cfg=dict(augments=dict(type=augment, alpha=1.0)))
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
