"""tools/train.py options folded into the config: unknown top-level keys, --vis-backend, --amp, --channels-last."""
import importlib.util

import pytest
from mmengine.config import Config

from tests.helpers.run_tool import REPO_ROOT

CE = REPO_ROOT / 'configs/baselines/ce_r18w16_digits.py'


@pytest.fixture(scope='module')
def train():
    spec = importlib.util.spec_from_file_location('tools_train', REPO_ROOT / 'tools' / 'train.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _merged(train, *argv):
    return train.merge_args(Config.fromfile(CE), train.parse_args([str(CE), '--work-dir', 'unused', *argv]))


def test_unknown_top_level_key_is_refused(train):
    # `splt=3` was merged as a new key nobody reads: the run trained split 0 and exited 0.
    with pytest.raises(ValueError, match="'splt' is not a top-level key .* Did you mean 'split'"):
        _merged(train, '--cfg-options', 'splt=3')
    cfg = _merged(train, '--cfg-options', 'split=3', 'experiment_name=x', 'train_cfg.max_epochs=2')
    assert cfg.train_dataloader.dataset.osr_split == 3 and cfg.experiment_name == 'x'  # a key MMEngine reads


def test_vis_backend_option(train, monkeypatch):
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name, *args: object())  # tensorboard, wandb "installed"
    cfg = _merged(train, '--vis-backend', 'tensorboard', 'wandb')
    assert [backend['type'] for backend in cfg.visualizer.vis_backends] == [
        'LocalVisBackend', 'TensorboardVisBackend', 'WandbVisBackend']
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name, *args: None)
    with pytest.raises(ImportError, match='pip install tensorboard'):
        _merged(train, '--vis-backend', 'tensorboard')


def test_amp_is_refused_before_anything_is_built_on_a_cpu_without_bf16(train, monkeypatch):
    from openmixosr.engine import optim_wrapper
    monkeypatch.setattr(train.torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(optim_wrapper, 'read_cpuinfo', lambda: dict(model='AVX2 CPU', flags=frozenset({'avx2'})))
    with pytest.raises(RuntimeError, match='without native bfloat16: AVX2 CPU'):
        _merged(train, '--amp')
    monkeypatch.setattr(optim_wrapper, 'read_cpuinfo', lambda: dict(model='AMX CPU', flags=frozenset({'amx_bf16'})))
    assert _merged(train, '--amp').optim_wrapper.type == 'CPUAutocastOptimWrapper'


@pytest.fixture
def gpu(train, monkeypatch):
    """A GPU as torch reports it (``bf16`` toggles bfloat16 support); nothing is run on it."""
    state = dict(bf16=True)
    monkeypatch.setattr(train.torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(train.torch.cuda, 'is_bf16_supported', lambda *args: state['bf16'])
    monkeypatch.setattr(train.torch.cuda, 'get_device_name', lambda *args: 'Tesla V100')
    return state


def test_amp_on_a_gpu_is_mmengines_amp_optim_wrapper(train, gpu):
    cfg = _merged(train, '--amp')  # float16 with a dynamic loss scaler
    assert cfg.optim_wrapper == dict(Config.fromfile(CE).optim_wrapper, type='AmpOptimWrapper', dtype='float16',
                                     loss_scale='dynamic')
    cfg = _merged(train, '--amp', '--amp-dtype', 'bfloat16')  # bfloat16: float32's range, no loss scaling
    assert cfg.optim_wrapper.dtype == 'bfloat16' and cfg.optim_wrapper.loss_scale == dict(enabled=False)
    assert cfg.optim_wrapper.optimizer == Config.fromfile(CE).optim_wrapper.optimizer
    cfg = _merged(train, '--amp', '--cfg-options', 'optim_wrapper.loss_scale=512.0',
                  'optim_wrapper.allow_emulated_bf16=True')  # the user's scale is kept; a CPU-only key is dropped
    assert cfg.optim_wrapper.loss_scale == 512.0 and 'allow_emulated_bf16' not in cfg.optim_wrapper
    gpu['bf16'] = False
    with pytest.raises(RuntimeError, match='Tesla V100 does not compute bfloat16.*--amp-dtype float16'):
        _merged(train, '--amp', '--amp-dtype', 'bfloat16')


def test_amp_dtype_needs_amp_and_float16_needs_a_gpu(train, monkeypatch):
    with pytest.raises(ValueError, match='--amp-dtype float16 without --amp'):
        _merged(train, '--amp-dtype', 'float16')
    monkeypatch.setattr(train.torch.cuda, 'is_available', lambda: False)
    with pytest.raises(ValueError, match='float16 needs a GPU.*leave --amp-dtype out'):
        _merged(train, '--amp', '--amp-dtype', 'float16')
    cfg = _merged(train, '--amp', '--amp-dtype', 'bfloat16', '--cfg-options', 'optim_wrapper.allow_emulated_bf16=True')
    assert cfg.optim_wrapper.type == 'CPUAutocastOptimWrapper'


def test_allow_other_classes_option(train):
    assert _merged(train).load_cfg.allow_other_classes is False
    assert _merged(train, '--allow-other-classes').load_cfg.allow_other_classes is True


def test_channels_last_option_adds_a_default_hook(train):
    # A default hook, merged by key: it keeps the config's own hooks and stays out of `custom_hooks`.
    assert 'channels_last' not in _merged(train).default_hooks
    cfg = _merged(train, '--channels-last')
    assert cfg.default_hooks.channels_last == dict(type='ChannelsLastHook')
    assert cfg.default_hooks.random_state == dict(type='RandomStateHook') and cfg.custom_hooks == []


def test_testing_a_distiller_does_not_read_the_teacher_file():
    """tools/test.py loads the distiller's own checkpoint (teacher included, strictly): the teacher file named by the
    config is not needed on the machine that tests."""
    spec = importlib.util.spec_from_file_location('tools_test', REPO_ROOT / 'tools' / 'test.py')
    test_tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(test_tool)
    config = REPO_ROOT / 'configs/asym/r18_digits.py'
    assert Config.fromfile(config).model.teacher_checkpoint
    cfg = test_tool.merge_args(Config.fromfile(config), test_tool.parse_args([str(config), 'student.pth',
                                                                              '--work-dir', 'unused']))
    assert cfg.model.teacher_checkpoint is None and cfg.load_from == 'student.pth'
    assert cfg.load_cfg['strict'] is True  # the checkpoint's teacher.* entries must be there


def test_a_total_batch_other_than_the_recipes_is_refused_before_anything_starts(train, monkeypatch, tmp_path):
    # tools/dist_train.sh CONFIG 2 on a batch-64 recipe: 128 images per step at the learning rate of 64.
    monkeypatch.setenv('WORLD_SIZE', '2')
    argv = [str(CE), '--work-dir', str(tmp_path), '--launcher', 'pytorch']
    with pytest.raises(ValueError, match=r'2 process\(es\) x train_dataloader.batch_size=64 = 128 images per step'):
        train.main(argv)
    assert not list(tmp_path.iterdir())  # nothing was built or written
    cfg = _merged(train, '--launcher', 'pytorch', '--cfg-options', 'train_dataloader.batch_size=32')
    assert train.check_total_batch(cfg, 2, allow_change=False) == []  # 2 x 32: the recipe's 64
    [note] = train.check_total_batch(cfg, 4, allow_change=True)
    assert note.startswith('--allow-batch-change: The total batch of this run is 4 process(es)')
    assert note.endswith('Training anyway.') and 'Pass one of' not in note
    assert train.check_total_batch(_merged(train, '--auto-scale-lr'), 4, allow_change=False) == []


def test_sync_bn_option(train, gpu):
    assert 'sync_bn' not in _merged(train)
    assert _merged(train, '--sync-bn', '--launcher', 'pytorch').sync_bn == 'torch'  # MMEngine converts at wrap time
    with pytest.raises(ValueError, match='one process has nothing to synchronise'):
        _merged(train, '--sync-bn')


def test_sync_bn_needs_gpus(train, monkeypatch):
    monkeypatch.setattr(train.torch.cuda, 'is_available', lambda: False)
    with pytest.raises(ValueError, match='--sync-bn needs GPUs'):
        _merged(train, '--sync-bn', '--launcher', 'pytorch')
