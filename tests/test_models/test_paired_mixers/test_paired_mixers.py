"""Paired mixers: untouched raw batch, exact box-corrected lam, the very draws of mmpretrain's CutMix / Mixup, and
their registry (MIXERS) and base class."""
import numpy as np
import pytest
import torch
from mmpretrain.models.utils.batch_augments import CutMix, Mixup
from mmpretrain.registry import BATCH_AUGMENTS

from openmixosr.models.paired_mixers import PairedCutMix, PairedMixer, PairedMixUp, build_paired_mixer
from openmixosr.models.utils import MixedBatch
from openmixosr.registry import MIXERS


def cutmix(x, alpha):
    return PairedCutMix(alpha)(x)


def mixup(x, alpha):
    return PairedMixUp(alpha)(x)


def _constant_images(n=8, c=3, h=12, w=10):
    """Image i is the constant i + 1, so every pixel of a mix says where it came from."""
    return (torch.arange(n, dtype=torch.float32) + 1).view(n, 1, 1, 1).expand(n, c, h, w).clone()


@pytest.mark.parametrize('seed', range(6))
def test_cutmix_lam_is_the_exact_share_of_own_pixels(seed):
    np.random.seed(seed)
    torch.manual_seed(seed)
    x = _constant_images()
    raw = x.clone()
    mixed = cutmix(x, alpha=1.0)
    assert isinstance(mixed, MixedBatch) and isinstance(mixed.lam, float)
    torch.testing.assert_close(x, raw, rtol=0, atol=0)  # the raw batch is untouched
    assert mixed.inputs.data_ptr() != x.data_ptr()
    assert sorted(mixed.index.tolist()) == list(range(8))
    h, w = x.shape[-2:]
    partners = [i for i in range(8) if mixed.index[i] != i]
    assert partners
    for i in partners:
        taken = (mixed.inputs[i] == raw[mixed.index[i]]).all(dim=0)  # [H, W]
        own = (mixed.inputs[i] == raw[i]).all(dim=0)
        assert bool((taken ^ own).all())  # every pixel comes from x_i or x_j
        assert mixed.lam == 1.0 - taken.sum().item() / (h * w)


def test_cutmix_pasted_region_is_one_box_of_the_partner():
    np.random.seed(0)
    torch.manual_seed(0)
    x = torch.rand(4, 3, 16, 16)
    mixed = cutmix(x, alpha=1.0)
    partner = x[mixed.index]
    from_x = mixed.inputs == x
    from_partner = mixed.inputs == partner
    assert bool((from_x | from_partner).all())
    taken = (from_partner & ~from_x).all(dim=1)[0].nonzero()
    if len(taken):  # the pasted pixels form a filled rectangle
        (y1, x1), (y2, x2) = taken.min(dim=0).values.tolist(), (taken.max(dim=0).values + 1).tolist()
        assert len(taken) == (y2 - y1) * (x2 - x1)
        assert mixed.lam == pytest.approx(1.0 - len(taken) / 256)


@pytest.mark.parametrize('seed', range(8))
@pytest.mark.parametrize('shape', [(32, 32), (28, 28), (7, 9), (64, 48)])
def test_paired_cutmix_draws_exactly_as_mmpretrain_cutmix(seed, shape):
    """Same generator states -> the same pairing, the same box and the same corrected lam as mmpretrain's CutMix.

    Catches any difference in the box (rounding of the sides, where the box ends, clipping), in the lam correction or
    in the order of the random calls, i.e. a '+CutMix' baseline and a distiller that would not see the same mixes.
    """
    x = torch.rand(6, 3, *shape)
    scores = torch.eye(6)
    np.random.seed(seed)
    torch.manual_seed(seed)
    reference_inputs, reference_scores = CutMix(alpha=1.0).mix(x.clone(), scores)
    np.random.seed(seed)
    torch.manual_seed(seed)
    mixed = PairedCutMix(alpha=1.0)(x)
    assert torch.equal(mixed.inputs, reference_inputs)
    # mmpretrain mixes one-hot scores of sample i as lam * e_i + (1 - lam) * e_j: read lam and j back from them.
    torch.testing.assert_close(reference_scores, mixed.lam * scores + (1 - mixed.lam) * scores[mixed.index],
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize('seed', range(4))
def test_paired_mixup_draws_exactly_as_mmpretrain_mixup(seed):
    x = torch.rand(5, 3, 8, 8)
    scores = torch.eye(5)
    np.random.seed(seed)
    torch.manual_seed(seed)
    reference_inputs, reference_scores = Mixup(alpha=0.4).mix(x.clone(), scores)
    np.random.seed(seed)
    torch.manual_seed(seed)
    mixed = PairedMixUp(alpha=0.4)(x)
    torch.testing.assert_close(mixed.inputs, reference_inputs, rtol=0, atol=0)
    torch.testing.assert_close(reference_scores, mixed.lam * scores + (1 - mixed.lam) * scores[mixed.index],
                               rtol=0, atol=1e-12)


def test_cutmix_box_is_clipped_at_the_border():
    """A centre near a border clips the box: the pasted area is smaller than drawn and the corrected lam says so."""
    x = _constant_images(n=4, h=20, w=30)  # image i is the constant i + 1: a pasted pixel differs from its own
    clipped = 0
    for seed in range(40):
        np.random.seed(seed)
        torch.manual_seed(seed)
        mixed = cutmix(x, alpha=1.0)
        np.random.seed(seed)
        ratio = np.sqrt(1 - np.random.beta(1.0, 1.0))  # the same lam draw as the mixer's
        unclipped = (int(20 * ratio) // 2 * 2) * (int(30 * ratio) // 2 * 2)  # [c - h // 2, c + h // 2) per side
        others = torch.nonzero(mixed.index != torch.arange(4))
        if len(others) == 0:
            continue  # the identity pairing: nothing was pasted from another image
        i = int(others[0])  # a sample with another partner
        taken = int((mixed.inputs[i, 0] != x[i, 0]).sum())
        assert taken == round((1 - mixed.lam) * 600) and taken <= unclipped
        clipped += taken < unclipped
    assert clipped > 0


def test_mixup_is_the_convex_combination():
    np.random.seed(2)
    torch.manual_seed(2)
    x = torch.rand(5, 3, 8, 8)
    raw = x.clone()
    np.random.seed(2)
    expected_lam = float(np.random.beta(0.4, 0.4))
    np.random.seed(2)
    mixed = mixup(x, alpha=0.4)
    assert mixed.lam == expected_lam
    torch.testing.assert_close(x, raw, rtol=0, atol=0)
    torch.testing.assert_close(mixed.inputs, mixed.lam * x + (1 - mixed.lam) * x[mixed.index])


@pytest.mark.parametrize('cfg, cls', [(dict(type='PairedCutMix', alpha=1.0), PairedCutMix),
                                      (dict(type='PairedMixUp', alpha=0.5), PairedMixUp)])
def test_registered_mixers_build_and_are_reproducible(cfg, cls):
    mixer = MIXERS.build(cfg)
    assert isinstance(mixer, cls) and isinstance(mixer, PairedMixer) and mixer.alpha == cfg['alpha']
    x = torch.rand(6, 3, 10, 10)
    runs = []
    for _ in range(2):
        np.random.seed(7)
        torch.manual_seed(7)
        runs.append([mixer(x) for _ in range(3)])
    for first, second in zip(*runs):
        assert first.lam == second.lam
        assert torch.equal(first.index, second.index)
        assert torch.equal(first.inputs, second.inputs)
        assert first.mask is None  # hand-made mixers draw no mask
    assert len({m.lam for m in runs[0]}) == 3  # successive calls draw afresh


def test_paired_mixers_live_in_mixers_not_in_batch_augments():
    for name in ('PairedCutMix', 'PairedMixUp'):
        assert MIXERS.get(name) is not None
        assert BATCH_AUGMENTS.get(name) is None
    assert MIXERS.get('CutMix') is None  # mmpretrain's batch augments do not leak into MIXERS


def test_mixers_registry_imports_its_modules_when_building():
    """MIXERS' `locations` import the mixer modules: a fresh process builds a mixer without importing them first."""
    import subprocess
    import sys
    code = ('from openmixosr.registry import MIXERS; '
            "m = MIXERS.build(dict(type='PairedMixUp', alpha=0.5)); print(type(m).__name__, m.alpha)")
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ['PairedMixUp', '0.5']


def test_build_paired_mixer_errors_name_the_registry_and_the_cause():
    with pytest.raises(KeyError, match=r"'CutMix' is an mmpretrain batch augment.*'PairedCutMix' draws exactly as"):
        build_paired_mixer(dict(type='CutMix', alpha=1.0))  # mmpretrain's, (inputs, scores) -> (inputs, scores)
    with pytest.raises(KeyError, match=r"'NoSuchMixer' is not a paired mixer.*"
                                       r"\['LearnedMaskMixer', 'PairedCutMix', 'PairedMixUp'"):
        build_paired_mixer(dict(type='NoSuchMixer'))
    assert isinstance(build_paired_mixer(dict(type='PairedMixUp', alpha=0.3)), PairedMixUp)


def test_a_registered_class_that_is_not_a_paired_mixer_is_refused():
    @MIXERS.register_module(name='_NotAPairedMixer', force=True)
    class NotAPairedMixer:
        def __call__(self, inputs, scores):
            return inputs, scores

    try:
        with pytest.raises(TypeError, match='not a PairedMixer'):
            build_paired_mixer(dict(type='_NotAPairedMixer'))
    finally:
        MIXERS.module_dict.pop('_NotAPairedMixer')


def test_paired_mixer_is_an_abstract_module():
    with pytest.raises(TypeError, match='abstract'):
        PairedMixer()
    # hand-made mixers are parameter-free modules: nothing enters a model's state dict
    holder = torch.nn.Module()
    holder.mixer = PairedCutMix(1.0)
    assert dict(holder.state_dict()) == {} and list(holder.parameters()) == []
    assert repr(holder.mixer) == 'PairedCutMix(alpha=1.0)'


def test_mixers_reject_non_positive_alpha():
    for cls in (PairedCutMix, PairedMixUp):
        with pytest.raises(ValueError, match='alpha'):
            cls(alpha=0.0)
    with pytest.raises(ValueError, match='images'):
        cutmix(torch.rand(3, 8, 8), 1.0)


@pytest.mark.parametrize('augments, suggestion', [
    (dict(type='CutMix', alpha=1.0), "model.mixer=dict(type='PairedCutMix', alpha=1.0)"),
    (dict(type='Mixup', alpha=0.2), "model.mixer=dict(type='PairedMixUp', alpha=0.2)"),
    ([dict(type='CutMix', alpha=1.0), dict(type='ResizeMix')], "type='YourPairedMixer'"),
])
def test_batch_augments_refusal_names_the_mixer_to_write(augments, suggestion):
    from openmixosr.models.paired_mixers.base import batch_augments_refusal
    message = batch_augments_refusal(augments, 'Somewhere: train_cfg.augments')
    assert message.startswith('Somewhere: train_cfg.augments: mmpretrain batch augments are a second way to mix')
    assert suggestion in message
