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


class _FakeCuda:
    """Stands in for ``torch.cuda`` on a machine without a GPU: one generator per device, states as byte tensors."""

    def __init__(self, device=1):
        self.device = device
        self.states = {0: torch.tensor([0], dtype=torch.uint8), 1: torch.tensor([1], dtype=torch.uint8)}

    def install(self, monkeypatch):
        monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
        monkeypatch.setattr(torch.cuda, 'get_rng_state', lambda device='cuda': self.states[self.device].clone())
        monkeypatch.setattr(torch.cuda, 'set_rng_state',
                            lambda state, device='cuda': self.states.__setitem__(self.device, state.clone()))

        def every_device(*args, **kwargs):
            raise AssertionError('only the generator of this process\'s GPU is saved and restored')

        monkeypatch.setattr(torch.cuda, 'get_rng_state_all', every_device)
        monkeypatch.setattr(torch.cuda, 'set_rng_state_all', every_device)


def test_cuda_generator_of_this_process_is_saved_and_restored(monkeypatch, tmp_path):
    cuda = _FakeCuda(device=1)  # e.g. rank 1 of a 2-GPU run: its draws come from cuda:1's generator
    cuda.install(monkeypatch)
    hook, runner = RandomStateHook(), SimpleNamespace(logger=SimpleNamespace(warning=print))
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    assert torch.equal(checkpoint['random_state'][0]['cuda'], torch.tensor([1], dtype=torch.uint8))
    torch.save(checkpoint, tmp_path / 'ckpt.pth')
    cuda.states[1] = torch.tensor([7], dtype=torch.uint8)  # the run went on drawing on its GPU
    hook.after_load_checkpoint(runner, load_weights_only(str(tmp_path / 'ckpt.pth')))
    assert torch.equal(cuda.states[1], torch.tensor([1], dtype=torch.uint8))
    assert torch.equal(cuda.states[0], torch.tensor([0], dtype=torch.uint8))  # another process's GPU: untouched


def test_resuming_across_gpu_and_cpu_warns(monkeypatch):
    warnings = []
    runner = SimpleNamespace(logger=SimpleNamespace(warning=warnings.append))
    cpu_state = get_random_state()
    assert 'cuda' not in cpu_state  # this machine has no GPU
    _FakeCuda().install(monkeypatch)
    gpu_state = get_random_state()
    RandomStateHook().after_load_checkpoint(runner, {'random_state': [gpu_state]})
    assert not warnings
    RandomStateHook().after_load_checkpoint(runner, {'random_state': [cpu_state]})
    assert 'written without a GPU and this run has one' in warnings[-1]
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    RandomStateHook().after_load_checkpoint(runner, {'random_state': [gpu_state]})
    assert 'written on a GPU and this run has none' in warnings[-1]
