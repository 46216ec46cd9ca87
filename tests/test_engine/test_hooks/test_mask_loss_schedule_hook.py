"""MaskLossScheduleHook: the mask-loss weight of every trained Mix Block of a model decays from the block's own value."""
from types import SimpleNamespace

import pytest
import torch

from openmixosr.engine.hooks import MaskLossScheduleHook
from openmixosr.engine.hooks.mask_loss_schedule_hook import trained_mix_blocks

LEARNED_MIXER = dict(type='LearnedMaskMixer', mix_block=dict(type='MixBlock', in_channels=64, mask_loss_weight=0.4))


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


def test_cosine_schedule_and_bad_names(build_tiny_distiller):
    model = build_tiny_distiller(mixer=LEARNED_MIXER)
    hook = MaskLossScheduleHook(mask_loss_schedule='cosine', end_mask_loss_weight=0.0)
    hook.before_train_iter(SimpleNamespace(model=model, iter=4, max_iters=8), 4)
    assert model.mixer.mix_block.mask_loss_weight == pytest.approx(0.2)
    with pytest.raises(ValueError, match='mask_loss_schedule'):
        MaskLossScheduleHook(mask_loss_schedule='step')


def test_a_model_without_a_trained_mix_block_is_refused(build_tiny_distiller):
    model = build_tiny_distiller()  # CutMix
    assert trained_mix_blocks(model) == []
    with pytest.raises(TypeError, match='trains no Mix Block'):
        MaskLossScheduleHook().before_train(SimpleNamespace(model=model))
    frozen = build_tiny_distiller(mixer=LEARNED_MIXER)
    frozen.mixer.requires_grad_(False)
    assert trained_mix_blocks(frozen) == []
    assert trained_mix_blocks(torch.nn.Linear(2, 2)) == []
