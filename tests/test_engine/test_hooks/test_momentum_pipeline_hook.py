"""MomentumPipelineHook: its schedules (linear mask-loss weight, AutoMix Eq. 7, by default; cosine as the option)
and what it does to a tiny AutoMix model at an iteration."""
import math
from types import SimpleNamespace

import pytest
import torch

from openmixosr.engine.hooks import MomentumPipelineHook


def test_mask_loss_weight_is_linear_by_default_at_a_quarter_of_training():
    """At 25 % a linear decay gives 0.075 and the cosine one 0.0854: a cosine default would fail here."""
    hook = MomentumPipelineHook()
    assert hook.mask_loss_weight_at(0.1, 25, 100) == pytest.approx(0.075)
    assert hook.mask_loss_weight_at(0.1, 75, 100) == pytest.approx(0.025)
    assert hook.mask_loss_weight_at(0.1, 0, 100) == pytest.approx(0.1)
    assert hook.mask_loss_weight_at(0.1, 100, 100) == pytest.approx(0.0)


def test_cosine_mask_loss_schedule_is_the_option():
    hook = MomentumPipelineHook(mask_loss_schedule='cosine')
    assert hook.mask_loss_weight_at(0.1, 25, 100) == pytest.approx(0.1 * (1 + math.cos(math.pi / 4)) / 2)
    assert hook.mask_loss_weight_at(0.1, 50, 100) == pytest.approx(0.05)


def test_momentum_stays_a_cosine_from_0999_to_1():
    hook = MomentumPipelineHook(mask_loss_schedule='linear')
    assert hook.momentum_at(25, 100) == pytest.approx(1 - 0.001 * (1 + math.cos(math.pi / 4)) / 2)


def test_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match='mask_loss_schedule'):
        MomentumPipelineHook(mask_loss_schedule='step')


def test_momentum_delay_holds_the_start_value_then_ramps_over_the_rest():
    """The authors' CIFAR configs start the momentum schedule after 10 % of training."""
    hook = MomentumPipelineHook(momentum=0.9, end_momentum=1.0, momentum_delay=0.1)
    assert hook.momentum_at(0, 100) == pytest.approx(0.9)
    assert hook.momentum_at(10, 100) == pytest.approx(0.9)
    assert hook.momentum_at(55, 100) == pytest.approx(0.95)  # halfway through the ramp over iterations 10..100
    assert hook.momentum_at(100, 100) == pytest.approx(1.0)
    with pytest.raises(ValueError, match='momentum_delay'):
        MomentumPipelineHook(momentum_delay=1.0)


def test_the_start_weight_is_no_hook_argument():
    """The start of the mask-loss schedule is the Mix Block's own ``mask_loss_weight`` (DenseCLHook-style)."""
    with pytest.raises(TypeError, match='mask_loss_weight'):
        MomentumPipelineHook(mask_loss_weight=0.1)
    assert MomentumPipelineHook(end_mask_loss_weight=0.02).mask_loss_weight_at(0.5, 50, 100) == pytest.approx(0.26)


def test_hook_schedules_at_start_middle_end():
    hook = MomentumPipelineHook()
    assert hook.momentum_at(0, 100) == pytest.approx(0.999)
    assert hook.momentum_at(50, 100) == pytest.approx(0.9995)
    assert hook.momentum_at(100, 100) == pytest.approx(1.0)
    assert hook.mask_loss_weight_at(0.1, 0, 100) == pytest.approx(0.1)
    assert hook.mask_loss_weight_at(0.1, 50, 100) == pytest.approx(0.05)
    assert hook.mask_loss_weight_at(0.1, 100, 100) == pytest.approx(0.0)


def test_hook_drives_the_model_from_the_mix_blocks_own_weight(build_tiny_automix):
    """The start of the mask-loss schedule is the Mix Block's ``mask_loss_weight`` argument (0.4 here, not the
    default 0.1), and the momentum step reaches k with the scheduled m."""
    model = build_tiny_automix(mix_block=dict(type='MixBlock', in_channels=32, mask_loss_weight=0.4),
                               momentum_buffers='copy')
    assert model.mix_block.initial_mask_loss_weight == 0.4
    runner = SimpleNamespace(model=model, iter=25, max_iters=100)
    hook = MomentumPipelineHook()
    hook.before_train_iter(runner, 0)
    assert model.mix_block.mask_loss_weight == pytest.approx(0.3)  # linear (AutoMix Eq. 7): 0.4 * (1 - 0.25)
    assert model.mix_block.initial_mask_loss_weight == 0.4
    runner.iter = 50
    hook.before_train_iter(runner, 0)
    assert model.mix_block.mask_loss_weight == pytest.approx(0.2)  # from the initial weight, not the current one

    with torch.no_grad():
        for param in model.online_network().parameters():
            param.add_(1.0)
    old_k = [p.clone() for p in model.momentum_encoder.module.parameters()]
    runner.iter = 25
    hook.after_train_iter(runner, 0)
    m = 1 - 0.001 * (1 + 2 ** -0.5) / 2
    for old, new, q in zip(old_k, model.momentum_encoder.module.parameters(), model.online_network().parameters()):
        torch.testing.assert_close(new, m * old + (1 - m) * q, rtol=0, atol=1e-6)
    assert int(model.momentum_encoder.steps) == 1


def test_hook_refuses_a_model_without_the_contract():
    runner = SimpleNamespace(model=torch.nn.Linear(2, 2), iter=0, max_iters=10)
    with pytest.raises(TypeError, match='MomentumPipelineHook needs a MomentumMixMixin model.*Linear'):
        MomentumPipelineHook().before_train_iter(runner, 0)
