"""Weights-only checkpoint loading: what is accepted, what is refused."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import CheckpointLoader

from openmixosr.engine import load_weights_only
from openmixosr.engine.checkpoint import message_hub_from_plain, message_hub_to_plain


class _RunsCode:
    """Unpickling this object runs a shell command: the attack weights_only=True exists to stop."""

    def __reduce__(self):
        return os.system, ('echo pwned',)


def test_numpy_arrays_scalars_and_tensors_load(tmp_path):
    checkpoint = dict(
        state_dict={'w': torch.arange(3.0)},
        meta=dict(epoch=2, seed=0, eta=np.float64(1.5), hist=np.arange(4, dtype=np.int32)),
    )
    path = tmp_path / 'ok.pth'
    torch.save(checkpoint, path)
    loaded = load_weights_only(str(path))
    assert torch.equal(loaded['state_dict']['w'], torch.arange(3.0))
    assert loaded['meta']['eta'] == 1.5
    np.testing.assert_array_equal(loaded['meta']['hist'], np.arange(4))


def test_code_in_checkpoint_is_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'payload': _RunsCode()}, path)
    with pytest.raises(pickle.UnpicklingError):
        load_weights_only(str(path))


def test_raw_history_buffer_is_refused(tmp_path):
    # HistoryBuffer's pickle needs builtins.getattr; it must not be allow-listed.
    buffer = HistoryBuffer()
    buffer.update(1.0)
    path = tmp_path / 'hub.pth'
    torch.save({'message_hub': {'log_scalars': {'loss': buffer}}}, path)
    with pytest.raises(pickle.UnpicklingError):
        load_weights_only(str(path))


def test_mmengine_local_loader_is_weights_only(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'payload': _RunsCode()}, path)
    with pytest.raises(pickle.UnpicklingError):
        CheckpointLoader.load_checkpoint(str(path))


def test_missing_checkpoint_message(tmp_path):
    with pytest.raises(FileNotFoundError, match='not found'):
        load_weights_only(str(tmp_path / 'nope.pth'))


def test_message_hub_round_trip_through_weights_only_file(tmp_path):
    hub = MessageHub.get_instance('test_round_trip')
    for value in (3.0, 2.0, 1.0):
        hub.update_scalar('train/loss', value)
    hub.update_info('iter', 7)
    path = tmp_path / 'hub.pth'
    torch.save({'message_hub': message_hub_to_plain(hub.state_dict())}, path)
    state = message_hub_from_plain(load_weights_only(str(path))['message_hub'])
    restored = state['log_scalars']['train/loss']
    assert isinstance(restored, HistoryBuffer)
    np.testing.assert_array_equal(restored.data[0], [3.0, 2.0, 1.0])
    assert restored.mean() == pytest.approx(2.0)
    assert state['runtime_info']['iter'] == 7
