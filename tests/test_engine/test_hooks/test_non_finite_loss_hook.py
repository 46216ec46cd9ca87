"""NonFiniteLossHook stops any model's training at the first NaN/Inf loss (end to end in tests/test_tools)."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub

from openmixosr.engine.hooks import NonFiniteLossHook
from openmixosr.engine.hooks.non_finite_loss_hook import non_finite_losses


def _runner(iteration=41, epoch=2, last_ckpt=None):
    hub = MessageHub.get_instance(f'non-finite-{iteration}-{last_ckpt}')
    if last_ckpt:
        hub.update_info('last_ckpt', last_ckpt)
    return SimpleNamespace(iter=iteration, epoch=epoch, message_hub=hub)


def test_finite_losses_pass():
    outputs = dict(loss=torch.tensor(1.5), loss_ce=torch.tensor(1.0), acc=torch.tensor(float('nan')))
    assert non_finite_losses(outputs) == {}  # only losses are checked
    NonFiniteLossHook().after_train_iter(_runner(), 0, None, outputs)


@pytest.mark.parametrize('outputs', [
    dict(loss=torch.tensor(float('nan')), loss_ce=torch.tensor(float('nan'))),  # classifier / distiller
    dict(loss=torch.tensor(2.0), loss_mix=torch.tensor(float('inf'))),  # one term of AutoMix / AMix
    dict(loss=float('nan')),  # already a Python float
])
def test_first_non_finite_loss_stops_training_with_the_iteration(outputs):
    with pytest.raises(FloatingPointError) as error:
        NonFiniteLossHook().after_train_iter(_runner(last_ckpt='work_dirs/x/epoch_2.pth'), 5, None, outputs)
    message = str(error.value)
    assert 'iteration 42 (epoch 3, batch 6' in message
    assert 'work_dirs/x/epoch_2.pth' in message and 'learning rate' in message
    assert all(name in message for name in non_finite_losses(outputs))


def test_runs_before_the_checkpoint_hook():
    from mmengine.hooks import CheckpointHook
    from mmengine.runner.priority import get_priority
    assert get_priority(NonFiniteLossHook.priority) < get_priority(CheckpointHook.priority)
