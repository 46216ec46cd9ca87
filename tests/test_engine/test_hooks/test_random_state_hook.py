"""RandomStateHook: generator states survive a checkpoint and validation does not perturb them."""
import random
from types import SimpleNamespace

import numpy as np
import torch

from openmixosr.engine import load_weights_only
from openmixosr.engine.hooks import RandomStateHook
from openmixosr.engine.hooks.random_state_hook import get_random_state, set_random_state


def _draw():
    return random.random(), float(np.random.rand()), float(torch.rand(1))


def test_state_round_trip_repeats_draws():
    state = get_random_state()
    first = _draw()
    set_random_state(state)
    assert _draw() == first


def test_checkpoint_restores_generators_through_weights_only_file(tmp_path):
    hook = RandomStateHook()
    runner = SimpleNamespace(logger=SimpleNamespace(warning=print))
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    expected = _draw()
    path = tmp_path / 'ckpt.pth'
    torch.save(checkpoint, path)
    _draw()  # move the generators on, as the rest of a run would
    hook.after_load_checkpoint(runner, load_weights_only(str(path)))
    assert _draw() == expected


def test_validation_does_not_consume_training_randomness():
    hook = RandomStateHook()
    state = get_random_state()
    expected = _draw()
    set_random_state(state)
    hook.before_val_epoch(None)
    _draw()  # validation draws (e.g. a DataLoader iterator seed)
    hook.after_val_epoch(None)
    assert _draw() == expected


def test_missing_state_warns_and_keeps_generators():
    warnings = []
    runner = SimpleNamespace(logger=SimpleNamespace(warning=warnings.append))
    RandomStateHook().after_load_checkpoint(runner, {})
    assert warnings and 'no random state' in warnings[0]


def test_load_without_resume_keeps_generators():
    # tools/test.py and `load_from` are not resumes: they neither take the checkpoint's generators nor warn about a
    # "resumed run" (OpenMixOSRRunner sets `resuming` while it resumes).
    warnings = []
    runner = SimpleNamespace(logger=SimpleNamespace(warning=warnings.append), resuming=False)
    other_run = get_random_state()
    _draw()
    state = get_random_state()
    expected = _draw()
    set_random_state(state)
    RandomStateHook().after_load_checkpoint(runner, {'random_state': [other_run]})
    RandomStateHook().after_load_checkpoint(runner, {})
    assert _draw() == expected and not warnings
