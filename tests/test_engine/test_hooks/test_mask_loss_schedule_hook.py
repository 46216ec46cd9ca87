"""MaskLossScheduleHook, the one schedule of every trained Mix Block (AutoMix, AMix, MoCo v2 AMix, the distiller): the
mask-loss weight decays from the block's own value, linearly (AutoMix Eq. 7) by default, by a cosine as the option."""
import math
from types import SimpleNamespace

import pytest
import torch

from openmixosr.engine.hooks import MaskLossScheduleHook
from openmixosr.engine.hooks.mask_loss_schedule_hook import trained_mix_blocks

LEARNED_MIXER = dict(type='LearnedMaskMixer', mix_block=dict(type='MixBlock', in_channels=64, mask_loss_weight=0.4))


def test_mask_loss_weight_is_linear_by_default_at_a_quarter_of_training():
    """At 25 % a linear decay gives 0.075 and the cosine one 0.0854: a cosine default would fail here."""
    hook = MaskLossScheduleHook()
    assert hook.mask_loss_weight_at(0.1, 25, 100) == pytest.approx(0.075)
    assert hook.mask_loss_weight_at(0.1, 75, 100) == pytest.approx(0.025)
    assert hook.mask_loss_weight_at(0.1, 0, 100) == pytest.approx(0.1)
    assert hook.mask_loss_weight_at(0.1, 100, 100) == pytest.approx(0.0)
    assert MaskLossScheduleHook(end_mask_loss_weight=0.02).mask_loss_weight_at(0.5, 50, 100) == pytest.approx(0.26)


def test_cosine_schedule_is_the_option_and_bad_names_are_refused():
    hook = MaskLossScheduleHook(mask_loss_schedule='cosine')
    assert hook.mask_loss_weight_at(0.1, 25, 100) == pytest.approx(0.1 * (1 + math.cos(math.pi / 4)) / 2)
    assert hook.mask_loss_weight_at(0.1, 50, 100) == pytest.approx(0.05)
    with pytest.raises(ValueError, match='mask_loss_schedule'):
        MaskLossScheduleHook(mask_loss_schedule='step')


def test_the_start_weight_is_no_hook_argument():
    """The start of the schedule is the Mix Block's own ``mask_loss_weight`` (DenseCLHook-style)."""
    with pytest.raises(TypeError, match='mask_loss_weight'):
        MaskLossScheduleHook(mask_loss_weight=0.1)


def test_the_distillers_trained_mix_block_decays_linearly_from_its_own_weight(build_tiny_distiller):
    model = build_tiny_distiller(mixer=LEARNED_MIXER)
    hook = MaskLossScheduleHook()
    runner = SimpleNamespace(model=model, iter=0, max_iters=8)
    hook.before_train(runner)
    seen = []
    for iteration in (0, 2, 4, 6):
        runner.iter = iteration
        hook.before_train_iter(runner, iteration)
        seen.append(model.mixer.mix_block.mask_loss_weight)
    assert seen == pytest.approx([0.4, 0.3, 0.2, 0.1])
    assert model.mixer.mix_block.initial_mask_loss_weight == 0.4


def test_automix_mix_block_decays_from_its_own_weight(build_tiny_automix):
    model = build_tiny_automix(mix_block=dict(type='MixBlock', in_channels=32, mask_loss_weight=0.4))
    assert trained_mix_blocks(model) == [model.mixer.mix_block]  # k holds no Mix Block: one block, one schedule
    runner = SimpleNamespace(model=model, iter=25, max_iters=100)
    hook = MaskLossScheduleHook()
    hook.before_train_iter(runner, 0)
    assert model.mixer.mix_block.mask_loss_weight == pytest.approx(0.3)  # linear (AutoMix Eq. 7): 0.4 * (1 - 0.25)
    runner.iter = 50
    hook.before_train_iter(runner, 0)
    assert model.mixer.mix_block.mask_loss_weight == pytest.approx(0.2)  # from the initial weight, not the current
    assert model.mixer.mix_block.initial_mask_loss_weight == 0.4


def test_a_model_without_a_trained_mix_block_leaves_it_nothing_to_do(build_tiny_distiller, monkeypatch):
    from openmixosr.engine.hooks import mask_loss_schedule_hook
    logged = []
    monkeypatch.setattr(mask_loss_schedule_hook, 'print_log', lambda message, **kwargs: logged.append(message))
    model = build_tiny_distiller()  # CutMix
    assert trained_mix_blocks(model) == []
    MaskLossScheduleHook().before_train(SimpleNamespace(model=model))
    assert len(logged) == 1 and 'trains no Mix Block' in logged[0]
    MaskLossScheduleHook().before_train_iter(SimpleNamespace(model=model, iter=1, max_iters=2), 1)
    frozen = build_tiny_distiller(mixer=LEARNED_MIXER)
    frozen.mixer.requires_grad_(False)
    assert trained_mix_blocks(frozen) == []
    assert trained_mix_blocks(torch.nn.Linear(2, 2)) == []
