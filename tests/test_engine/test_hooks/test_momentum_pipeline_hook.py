"""MomentumPipelineHook: the momentum (EMA) schedule and update of a tiny AutoMix, and nothing else (the mask-loss
weight is MaskLossScheduleHook's: tests/test_engine/test_hooks/test_mask_loss_schedule_hook.py)."""
import math
from types import SimpleNamespace

import pytest
import torch

from openmixosr.engine.hooks import MomentumPipelineHook


def test_momentum_stays_a_cosine_from_0999_to_1():
    hook = MomentumPipelineHook()
    assert hook.momentum_at(0, 100) == pytest.approx(0.999)
    assert hook.momentum_at(25, 100) == pytest.approx(1 - 0.001 * (1 + math.cos(math.pi / 4)) / 2)
    assert hook.momentum_at(50, 100) == pytest.approx(0.9995)
    assert hook.momentum_at(100, 100) == pytest.approx(1.0)


def test_momentum_delay_holds_the_start_value_then_ramps_over_the_rest():
    """The authors' CIFAR configs start the momentum schedule after 10 % of training."""
    hook = MomentumPipelineHook(momentum=0.9, end_momentum=1.0, momentum_delay=0.1)
    assert hook.momentum_at(0, 100) == pytest.approx(0.9)
    assert hook.momentum_at(10, 100) == pytest.approx(0.9)
    assert hook.momentum_at(55, 100) == pytest.approx(0.95)  # halfway through the ramp over iterations 10..100
    assert hook.momentum_at(100, 100) == pytest.approx(1.0)
    with pytest.raises(ValueError, match='momentum_delay'):
        MomentumPipelineHook(momentum_delay=1.0)
    with pytest.raises(ValueError, match='end_momentum'):
        MomentumPipelineHook(end_momentum=1.5)


@pytest.mark.parametrize('argument', ['end_mask_loss_weight', 'mask_loss_schedule', 'mask_loss_weight'])
def test_the_mask_loss_schedule_is_not_this_hooks(argument):
    """One hook schedules a Mix Block's mask-loss weight, MaskLossScheduleHook: this one takes no such argument."""
    with pytest.raises(TypeError, match=argument):
        MomentumPipelineHook(**{argument: 0.0})


def test_hook_updates_k_with_the_scheduled_momentum_and_leaves_the_mask_loss_weight(build_tiny_automix):
    model = build_tiny_automix(mix_block=dict(type='MixBlock', in_channels=32, mask_loss_weight=0.4),
                               momentum_buffers='copy')
    runner = SimpleNamespace(model=model, iter=25, max_iters=100)
    hook = MomentumPipelineHook()
    hook.before_train(runner)
    hook.before_train_iter(runner, 0)
    with torch.no_grad():
        for param in model.online_network().parameters():
            param.add_(1.0)
    old_k = [p.clone() for p in model.momentum_encoder.module.parameters()]
    hook.after_train_iter(runner, 0)
    m = 1 - 0.001 * (1 + 2 ** -0.5) / 2
    for old, new, q in zip(old_k, model.momentum_encoder.module.parameters(), model.online_network().parameters()):
        torch.testing.assert_close(new, m * old + (1 - m) * q, rtol=0, atol=1e-6)
    assert int(model.momentum_encoder.steps) == 1
    assert model.mixer.mix_block.mask_loss_weight == 0.4  # untouched: MaskLossScheduleHook's job


def test_hook_refuses_a_model_without_the_contract_before_training():
    runner = SimpleNamespace(model=torch.nn.Linear(2, 2), iter=0, max_iters=10)
    with pytest.raises(TypeError, match='MomentumPipelineHook needs a MomentumMixMixin model.*Linear'):
        MomentumPipelineHook().before_train(runner)
