"""Weights-only checkpoint loading: what is accepted, what stands in for what, what is refused."""
import collections
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import CheckpointLoader

from openmixosr.engine import OmittedObject, load_checkpoint_file, load_weights_only
from openmixosr.utils.checkpoint_io import (CorruptedCheckpointError, OmittedHistoryBuffer, find_resumable_checkpoint,
                                         message_hub_from_plain, message_hub_to_plain)


class _RunsCode:
    """Unpickling this object runs a shell command: the attack weights_only=True exists to stop."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


class _Attribute:
    """Pickles as ``getattr(OrderedDict, 'fromkeys')``: the global HistoryBuffer's pickle needs."""

    def __call__(self, *args):
        raise AssertionError('never called while pickling')

    def __reduce__(self):
        return getattr, (collections.OrderedDict, 'fromkeys')


class _CallsAttribute:
    """Pickles as ``getattr(OrderedDict, 'fromkeys')(['a'])``: calls what ``getattr`` returned."""

    def __reduce__(self):
        return _Attribute(), (['a'], )


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
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'payload': _RunsCode(marker)}, path)
    with pytest.raises(pickle.UnpicklingError, match='os.system|posix.system'):
        load_weights_only(str(path))
    with pytest.raises(pickle.UnpicklingError):
        load_checkpoint_file(str(path))
    assert not marker.exists()


def test_raw_history_buffer_loads_as_an_inert_stand_in(tmp_path):
    # HistoryBuffer's pickle needs builtins.getattr, which is not allow-listed: both become stand-ins that keep nothing.
    buffer = HistoryBuffer()
    buffer.update(1.0)
    path = tmp_path / 'hub.pth'
    torch.save({'state_dict': {'w': torch.ones(2)}, 'message_hub': {'log_scalars': {'loss': buffer}}}, path)
    loaded = load_weights_only(str(path))
    stand_in = loaded['message_hub']['log_scalars']['loss']
    assert type(stand_in) is OmittedHistoryBuffer and not hasattr(stand_in, '__dict__')
    assert repr(stand_in) == '<omitted mmengine.logging.history_buffer.HistoryBuffer>'
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2))


def test_getattr_looks_nothing_up(tmp_path):
    path = tmp_path / 'attribute.pth'
    torch.save({'attribute': _Attribute()}, path)
    attribute = load_weights_only(str(path))['attribute']
    assert isinstance(attribute, OmittedObject) and attribute.replaces == 'builtins.getattr'
    # Calling what getattr returned (the next step of any attack through it) is refused by torch's unpickler.
    torch.save({'called': _CallsAttribute()}, path)
    with pytest.raises(pickle.UnpicklingError, match='unrecognized function'):
        load_weights_only(str(path))


def test_stand_in_ignores_its_arguments_and_state():
    stand_in = OmittedHistoryBuffer('anything', key=os.system)
    stand_in.__setstate__({'__class__': dict, 'replaces': 'x'})
    assert type(stand_in) is OmittedHistoryBuffer and stand_in.replaces.endswith('HistoryBuffer')
    with pytest.raises(AttributeError):
        stand_in.payload = 1


def test_urls_go_to_mmengine_loaders(monkeypatch):
    calls = []
    monkeypatch.setattr(CheckpointLoader, 'load_checkpoint',
                        lambda filename, map_location=None, logger=None: calls.append(filename) or {'w': 1})
    assert load_checkpoint_file('https://example.org/model.pth') == {'w': 1}
    assert calls == ['https://example.org/model.pth']
    with pytest.raises(FileNotFoundError, match='not found'):  # a local path never reaches MMEngine's loaders
        load_checkpoint_file('no/such/model.pth')
    assert len(calls) == 1


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
    state, omitted = message_hub_from_plain(load_weights_only(str(path))['message_hub'])
    restored = state['log_scalars']['train/loss']
    assert isinstance(restored, HistoryBuffer) and omitted == []
    np.testing.assert_array_equal(restored.data[0], [3.0, 2.0, 1.0])
    np.testing.assert_array_equal(restored.data[1], [1, 1, 1])
    assert restored.mean() == pytest.approx(2.0)
    assert state['runtime_info']['iter'] == 7


def test_message_hub_of_mmengine_checkpoint_hook_drops_its_history(tmp_path):
    hub = MessageHub.get_instance('test_mmengine_hub')
    hub.update_scalar('train/loss', 1.0)
    hub.update_info('iter', 3)
    path = tmp_path / 'hub.pth'
    torch.save({'message_hub': hub.state_dict()}, path)  # as MMEngine's CheckpointHook writes it
    state, omitted = message_hub_from_plain(load_weights_only(str(path))['message_hub'])
    assert omitted == ['train/loss'] and state['log_scalars'] == {} and state['runtime_info']['iter'] == 3
    assert 'train/loss' not in state['resumed_keys'] and state['resumed_keys']['iter']


def _truncated_copy(source, target):
    data = source.read_bytes()
    target.write_bytes(data[:len(data) // 2])  # what a kill in the middle of the write leaves


def test_corrupted_checkpoint_error_names_the_file(tmp_path):
    good = tmp_path / 'good.pth'
    torch.save({'state_dict': {'w': torch.zeros(1000)}}, good)
    broken = tmp_path / 'epoch_3.pth'
    _truncated_copy(good, broken)
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    for path in (broken, empty):
        # torch alone says "PytorchStreamReader failed reading zip archive" (or nothing at all for an empty file).
        with pytest.raises(CorruptedCheckpointError, match='corrupted or incomplete') as error:
            load_weights_only(str(path))
        assert str(path) in str(error.value) and '--resume' in str(error.value)
    with pytest.raises(CorruptedCheckpointError, match=str(broken)):  # through the runner's loader as well
        load_checkpoint_file(str(broken))


def test_find_resumable_checkpoint_skips_a_truncated_latest(tmp_path):
    for epoch in (1, 2, 3):
        torch.save({'state_dict': {'w': torch.full((100, ), float(epoch))}}, tmp_path / f'epoch_{epoch}.pth')
    _truncated_copy(tmp_path / 'epoch_3.pth', tmp_path / 'epoch_3.pth')
    (tmp_path / 'epoch_9.pth').write_bytes((tmp_path / 'epoch_1.pth').read_bytes())  # an earlier, longer run
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_3.pth'))
    path, skipped = find_resumable_checkpoint(str(tmp_path))
    assert path == str(tmp_path / 'epoch_2.pth')
    assert len(skipped) == 1 and 'epoch_3.pth' in skipped[0] and 'corrupted' in skipped[0]
    # last_checkpoint naming a file that was deleted (MMEngine deleted the old file before writing the new one).
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_4.pth'))
    path, skipped = find_resumable_checkpoint(str(tmp_path))
    assert path == str(tmp_path / 'epoch_2.pth') and 'does not exist' in skipped[0]
    assert find_resumable_checkpoint(str(tmp_path / 'nothing')) == (None, [])
