"""MomentumPipelineHook schedules: linear mask-loss weight (AutoMix Eq. 7) by default, cosine as the option."""
import math

import pytest

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


def test_runner_model_unwraps_and_names_the_contract():
    from types import SimpleNamespace

    import torch

    from openmixosr.engine.hooks import ClusterAssignmentHook, runner_model
    from openmixosr.models.algorithms import MomentumMixMixin

    inner = torch.nn.Linear(2, 2)
    wrapped = torch.nn.DataParallel(inner)  # a model wrapper MMEngine knows, like DDP: the model is its ``module``
    assert runner_model(SimpleNamespace(model=wrapped)) is inner
    assert runner_model(SimpleNamespace(model=inner)) is inner
    with pytest.raises(TypeError, match=r'MomentumPipelineHook needs a MomentumMixMixin model \(A model with a '
                                        r'momentum encoder.*Linear'):
        runner_model(SimpleNamespace(model=wrapped), MomentumMixMixin, 'MomentumPipelineHook')
    with pytest.raises(TypeError, match='ClusterAssignmentHook needs a MoCoAMixCluster model'):
        ClusterAssignmentHook().before_run(SimpleNamespace(model=inner))
