"""OpenSetDataPreprocessor: mmpretrain's normalisation, labels kept as labels in every mode (unknown samples carry
label -1), and no second way to mix: batch augments and one-hot scores are refused with what to write instead."""
import pytest
import torch
from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.structures import DataSample

from openmixosr.registry import MODELS


def _batch(labels, seed=0):
    generator = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 255, (3, 8, 8), dtype=torch.uint8, generator=generator) for _ in labels]
    return dict(inputs=inputs, data_samples=[DataSample().set_gt_label(label) for label in labels])


@pytest.mark.parametrize('training', [True, False])
def test_normalises_as_mmpretrain_and_keeps_labels(training):
    options = dict(num_classes=3, mean=[10.0, 20.0, 30.0], std=[2.0, 3.0, 4.0], to_rgb=True)
    ours = MODELS.build(dict(type='OpenSetDataPreprocessor', **options))
    theirs = ClsDataPreprocessor(**options)
    result, expected = ours(_batch((2, -1, 0)), training), theirs(_batch((2, -1, 0)), training)
    assert torch.equal(result['inputs'], expected['inputs'])
    assert [int(s.gt_label) for s in result['data_samples']] == [2, -1, 0]
    assert all('gt_score' not in sample for sample in result['data_samples'])


@pytest.mark.parametrize('augment, mixer', [('CutMix', 'PairedCutMix'), ('Mixup', 'PairedMixUp')])
def test_batch_augments_are_refused_with_the_mixer_to_use(augment, mixer):
    with pytest.raises(ValueError, match=rf"OpenSetDataPreprocessor: batch_augments.*model.mixer=dict\(type='{mixer}'"):
        MODELS.build(dict(type='OpenSetDataPreprocessor', num_classes=3,
                          batch_augments=dict(augments=dict(type=augment, alpha=1.0))))


def test_one_hot_scores_are_refused():
    with pytest.raises(ValueError, match='keeps labels as labels.*Drop to_onehot'):
        MODELS.build(dict(type='OpenSetDataPreprocessor', num_classes=3, to_onehot=True))


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
