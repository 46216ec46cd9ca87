"""The pattern task: the known right mask wins, and Mix Block+ learns a content-aware mask (CPU, under a minute)."""
import pytest
import torch

from openmixosr.analysis import evaluate_mixers, fit_classifier, fit_mix_block, make_pattern_batch, pattern_templates
from openmixosr.analysis.pattern_task import oracle_mask
from openmixosr.registry import MODELS


def test_batch_holds_each_pattern_in_its_box():
    batch = make_pattern_batch(16, torch.Generator().manual_seed(0))
    templates = pattern_templates(4)
    assert batch.images.shape == (16, 3, 32, 32) and batch.labels.max() < 4
    for image, label, (y1, y2, x1, x2) in zip(batch.images, batch.labels, batch.boxes.tolist()):
        patch = image[0, y1:y2, x1:x2]
        assert bool((patch[templates[label] > 0] == 1.0).all())  # the pattern is drawn at full intensity
        assert float(image[0].max()) == 1.0 and float(image[0][image[0] < 1].max()) <= 0.6 + 1e-6  # clutter below
    again = make_pattern_batch(16, torch.Generator().manual_seed(0))
    assert torch.equal(batch.images, again.images) and torch.equal(batch.boxes, again.boxes)


def test_oracle_mask_keeps_both_boxes():
    boxes = torch.tensor([[0, 8, 0, 8], [10, 18, 20, 28]])
    s = oracle_mask(boxes, boxes.flip(0), 32, 0.4)
    assert bool((s[0, 0:8, 0:8] == 1).all()) and bool((s[0, 10:18, 20:28] == 0).all())
    assert float(s[0, 30, 30]) == pytest.approx(0.4)


@pytest.fixture(scope='module')
def task():
    # One thread: these small convolutions gain nothing from more, and a busy machine slows many threads badly.
    # 150 steps (the tool's default is 300) already classify every clean batch: the rest only costs time.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield fit_classifier(seed=0, steps=150)
    torch.set_num_threads(threads)


def test_the_task_rewards_the_right_mask(task):
    """With the frozen classifier, keeping both patterns beats blending them (MixUp) and cutting them (CutMix)."""
    assert task.clean_accuracy > 0.95
    results = evaluate_mixers(task, None, lam=0.5)
    assert results['oracle']['loss'] < results['mixup']['loss'] - 0.15
    assert results['mixup']['loss'] < results['cutmix']['loss']
    assert results['mixup']['kept_i'] == pytest.approx(0.5) and results['oracle']['kept_i'] > 0.9


def test_mix_block_plus_learns_a_content_aware_mask(task):
    """Mix Block+ (the supervised setting, global attention) trained alone on the generation loss: lower loss than
    MixUp and CutMix at the same lam, and more of both patterns kept than a blend."""
    torch.manual_seed(0)
    block = MODELS.build(dict(type='MixBlockPlus', in_channels=64, lam_adjust=False))
    history = fit_mix_block(task, block, seed=0, steps=300)
    assert sum(history['generation'][-20:]) < sum(history['generation'][:20])
    results = evaluate_mixers(task, block, lam=0.5)
    learned, mixup = results['mix_block'], results['mixup']
    assert learned['loss'] < mixup['loss'] - 0.15 and learned['loss'] < results['cutmix']['loss']
    assert learned['kept_i'] > 0.6 and learned['kept_j'] > 0.6
    assert learned['mask_std'] > 0.1  # not a flat blend
