"""`--cfg-options data_root=...` reaches the datasets of tools/train.py, tools/test.py and visualize_mix.py.

Before: the option was accepted and ignored (the datasets had copied `data_root` when the config was parsed), so the
tools still read `data/mnist` and failed there (or, worse, read another copy of the data that happened to be there).
"""
import importlib.util

import pytest
import torch
from mmengine.config import Config

from openmixosr.registry import DATASETS, MODELS
from tests.helpers.run_tool import REPO_ROOT, run_tool
from tests.helpers.ssb_data import fake_data

MNIST_T10K = REPO_ROOT / 'configs/baselines/ce_r18w16_mnist_t10k.py'
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _tool(name):
    spec = importlib.util.spec_from_file_location(f'tools_{name}', REPO_ROOT / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def mnist_elsewhere(tmp_path_factory):
    """Fake MNIST t10k files in a directory that is not the configs' `data/mnist`."""
    assert not (REPO_ROOT / 'data' / 'mnist').exists()
    root = tmp_path_factory.mktemp('elsewhere') / 'mnist'
    fake_data.write_mnist(str(root), per_class=10, prefixes=('t10k', ))
    return root


def test_train_builds_its_datasets_from_the_data_root_given_on_the_command_line(mnist_elsewhere):
    train = _tool('train')
    args = train.parse_args([str(MNIST_T10K), '--work-dir', 'unused', '--cfg-options', f'data_root={mnist_elsewhere}'])
    cfg = train.merge_args(Config.fromfile(MNIST_T10K), args)
    assert {cfg[loader].dataset.source.data_root for loader in LOADERS} == {str(mnist_elsewhere)}
    assert len(DATASETS.build(cfg.train_dataloader.dataset)) == 6 * 7  # the fake files: 6 known digits, 7 of 10 each


def test_test_tool_reads_the_data_root_given_on_the_command_line(mnist_elsewhere, tmp_path):
    cfg = Config.fromfile(MNIST_T10K)
    train_set = DATASETS.build(dict(cfg.train_dataloader.dataset, source=dict(cfg.train_dataloader.dataset.source,
                                                                              data_root=str(mnist_elsewhere))))
    torch.manual_seed(0)
    model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    checkpoint = tmp_path / 'ce.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict(dataset_meta=train_set.metainfo)), checkpoint)
    result = run_tool('test.py', MNIST_T10K, checkpoint, '--work-dir', tmp_path, '--cfg-options',
                      f'data_root={mnist_elsewhere}', 'test_dataloader.num_workers=0',
                      'test_dataloader.persistent_workers=False')
    assert '18 known / 12 unknown samples' in result.stdout  # the 30 test digits of the fake files, 6 known classes


def test_visualize_mix_reads_the_data_root_given_on_the_command_line(mnist_elsewhere):
    spec = importlib.util.spec_from_file_location('visualize_mix', REPO_ROOT / 'tools/analysis/visualize_mix.py')
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    cfg = script.load_config(str(REPO_ROOT / 'configs/automix/automix_r18w16_mnist_t10k.py'),
                             {'data_root': str(mnist_elsewhere)})
    assert {cfg[loader].dataset.source.data_root for loader in LOADERS} == {str(mnist_elsewhere)}
