"""SafePretrained: a missing file says what to do; ``require_all`` refuses a checkpoint that would load nothing."""
import pytest
import torch
from mmengine.model import initialize
from torch import nn

import openmixosr  # noqa: F401  (registers SafePretrained)
from openmixosr.engine.checkpoint_compat import CheckpointMismatchError


def _small():
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))


def test_missing_file_names_the_path_and_never_downloads(tmp_path):
    with pytest.raises(FileNotFoundError, match='never downloads weights: put the checkpoint file at that path'):
        initialize(_small(), dict(type='SafePretrained', checkpoint=str(tmp_path / 'moco_v2_places.pth')))


def test_moco_style_checkpoint_loads_every_entry_and_skips_the_head(tmp_path):
    """A plain state dict with a leading ``module.`` and a projection head the model does not have (MoCo v2)."""
    source = _small()
    with torch.no_grad():
        source[0].weight.normal_()
        source[1].running_mean.uniform_()
    state = {f'module.{key}': value for key, value in source.state_dict().items()}
    state['module.fc.0.weight'] = torch.zeros(2, 2)
    torch.save(state, tmp_path / 'moco.pth')
    target = _small()
    initialize(target, dict(type='SafePretrained', checkpoint=str(tmp_path / 'moco.pth'), require_all=True))
    for key, value in source.state_dict().items():
        assert torch.equal(target.state_dict()[key], value), key


def test_require_all_refuses_a_checkpoint_of_other_names(tmp_path):
    state = {f'backbone.{key}': value for key, value in _small().state_dict().items()}
    torch.save(dict(state_dict=state), tmp_path / 'other.pth')
    target = _small()
    before = {key: value.clone() for key, value in target.state_dict().items()}
    with pytest.raises(CheckpointMismatchError, match=r'lacks 6 of the 7 entries of Sequential.*prefix='):
        initialize(target, dict(type='SafePretrained', checkpoint=str(tmp_path / 'other.pth'), require_all=True))
    assert all(torch.equal(target.state_dict()[key], value) for key, value in before.items())
    # without require_all it loads nothing, as MMEngine's Pretrained would (only a log line)
    initialize(target, dict(type='SafePretrained', checkpoint=str(tmp_path / 'other.pth')))
    # with the right prefix it loads everything
    initialize(target, dict(type='SafePretrained', checkpoint=str(tmp_path / 'other.pth'), prefix='backbone',
                            require_all=True))
    assert all(torch.equal(target.state_dict()[key], value) for key, value in
               {k[len('backbone.'):]: v for k, v in state.items()}.items())


def test_require_all_does_not_need_batchnorm_step_counters(tmp_path):
    state = {key: value for key, value in _small().state_dict().items() if not key.endswith('num_batches_tracked')}
    torch.save(state, tmp_path / 'old.pth')
    initialize(_small(), dict(type='SafePretrained', checkpoint=str(tmp_path / 'old.pth'), require_all=True))
