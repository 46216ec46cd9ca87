"""OpenSetDataPreprocessor: in training it does what mmpretrain's ClsDataPreprocessor does (mixed images and scores);
labels become scores in training only, so unknown samples (label -1) pass through evaluation."""
import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from openmixosr.registry import MODELS


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


@pytest.mark.parametrize('non_blocking', [False, True])
def test_non_blocking_reaches_every_copy_to_the_device(monkeypatch, non_blocking):
    # MMEngine's cast_data passes the option to each `.to(device)` (pinned batches then copy asynchronously to the
    # GPU); mmpretrain's ClsDataPreprocessor does not take it, so OpenSetDataPreprocessor sets MMEngine's attribute.
    preprocessor = MODELS.build(dict(type='OpenSetDataPreprocessor', num_classes=3, non_blocking=non_blocking))
    calls = []
    real_to = torch.Tensor.to

    def recording_to(tensor, *args, **kwargs):
        calls.append((tuple(tensor.shape), kwargs.get('non_blocking')))
        return real_to(tensor, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, 'to', recording_to)
    preprocessor(_batch((0, 1)), training=False)
    assert [call for call in calls if call[0] == (3, 8, 8)] == [((3, 8, 8), non_blocking)] * 2  # each image
