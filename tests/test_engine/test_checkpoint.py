"""Weights-only checkpoint loading: what is accepted, what is refused."""
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import CheckpointLoader

from openmixosr.engine import load_weights_only
from openmixosr.engine.checkpoint import (CorruptedCheckpointError, find_resumable_checkpoint, message_hub_from_plain,
                                         message_hub_to_plain)


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
    with pytest.raises(CorruptedCheckpointError, match=str(broken)):  # through MMEngine's loader as well
        CheckpointLoader.load_checkpoint(str(broken))


def test_loader_log_names_the_local_backend(tmp_path):
    # MMEngine logs "Loads checkpoint by {loader name minus 'load_from_'} backend"; it said "ts_only backend".
    import io
    import logging

    from mmengine.logging import MMLogger
    path = tmp_path / 'ok.pth'
    torch.save({'w': torch.zeros(1)}, path)
    logger = MMLogger.get_instance('test_loader_log_names_the_local_backend')
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        CheckpointLoader.load_checkpoint(str(path), logger=logger)
    finally:
        logger.removeHandler(handler)
    assert f'Loads checkpoint by local backend from path: {path}' in stream.getvalue()
    assert 'ts_only' not in stream.getvalue()


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
