"""Every dataset base config parses, follows the conventions and builds a working dataloader on the fake data."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from openmixosr.datasets import get_open_set_split
from openmixosr.registry import DATASETS, MODELS
from openmixosr.utils import apply_osr_split

CONFIG_DIR = osp.join(osp.dirname(__file__), '..', '..', 'configs', '_base_', 'datasets')

# config -> (benchmark of its published splits or None, known dataset has unknown samples of its own)
CONFIGS = {
    'mnist_osr.py': 'mnist',
    'mnist_test_files_osr.py': 'mnist',
    'svhn_osr.py': 'svhn',
    'cifar10_osr.py': 'cifar10',
    'cifar_plus10_osr.py': 'cifar+10',
    'cifar_plus50_osr.py': 'cifar+50',
    'tiny_imagenet_osr.py': 'tiny_imagenet',
    'digits_osr.py': 'mnist',
    'cifar10_vs_cifar100_ood.py': None,
}


# closed-set classification configs (AutoMix / AMix benchmarks) -> number of classes
CLOSED_SET_CONFIGS = {'cifar100.py': 100, 'tiny_imagenet.py': 200, 'stl10.py': 10}

# self-supervised pre-training configs (two views per image, no labels used) -> crop size
SELF_SUPERVISED_CONFIGS = {'digits_ssl.py': 16, 'stl10_ssl.py': 96, 'tiny_imagenet_ssl.py': 64,
                           'tiny_imagenet_osr_ssl.py': 64}


# configs with named unknown sets ('easy', 'hard'): the Semantic Shift Benchmark and the large-scale benchmark
# -> (benchmark, number of known classes, input size)
NAMED_SET_CONFIGS = {
    'ssb_cub.py': ('ssb_cub', 100, 448),
    'ssb_scars.py': ('ssb_scars', 98, 448),
    'ssb_aircraft.py': ('ssb_aircraft', 50, 448),
    'tiny_imagenet_vs_in21k.py': ('in21k_ssb', 200, 64),
}

# what the configs above inherit: the parts they share, not datasets of their own
COMMON_CONFIGS = ('open_set_common.py', 'open_set_benchmark_common.py', 'closed_set_common.py', 'mocov2_ssl_common.py',
                  'ssb_common.py')
DATASET_CONFIGS = sorted([*CONFIGS, *CLOSED_SET_CONFIGS, *SELF_SUPERVISED_CONFIGS, *NAMED_SET_CONFIGS])


def test_every_dataset_config_is_covered():
    assert sorted(osp.basename(p) for p in glob.glob(osp.join(CONFIG_DIR, '*.py'))) == sorted(
        [*DATASET_CONFIGS, *COMMON_CONFIGS])


@pytest.mark.parametrize('name', DATASET_CONFIGS)
def test_loaders_use_the_configs_own_pipelines(name):
    # A base config cannot read the variables of the config that inherits it: each dataset config passes its own
    # pipelines to its loaders, and binds test_dataloader to its own val_dataloader.
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    assert cfg.train_dataloader.dataset.pipeline == cfg.train_pipeline
    if 'val_dataloader' in cfg:
        assert cfg.val_dataloader.dataset.pipeline == cfg.test_pipeline
        assert cfg.test_dataloader == cfg.val_dataloader
    assert cfg.data_preprocessor.get('num_classes') == cfg.get('num_classes')  # None for pre-training


@pytest.mark.parametrize('name', sorted(SELF_SUPERVISED_CONFIGS))
def test_self_supervised_config_gives_two_views(name, fake_root):
    root, _ = fake_root
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    loader_cfg = cfg.train_dataloader
    assert loader_cfg.drop_last, "MoCo's queue length must be a multiple of the batch size"
    assert loader_cfg.collate_fn.type == 'default_collate' and cfg.data_preprocessor.type == 'SelfSupDataPreprocessor'
    point_to_fake_data(loader_cfg, root)
    loader_cfg.update(num_workers=0, persistent_workers=False, batch_size=2)
    batch = next(iter(build_loader(loader_cfg)))
    size = SELF_SUPERVISED_CONFIGS[name]
    views = batch['inputs']
    assert len(views) == 2 and all(view.shape == (2, 3, size, size) for view in views)
    assert not torch.equal(views[0], views[1])  # two independent augmentations
    assert all(isinstance(sample.sample_idx, int) for sample in batch['data_samples'])  # AMix-C's memory rows


@pytest.mark.parametrize('name', sorted(CLOSED_SET_CONFIGS))
def test_closed_set_config_builds_on_fake_data(name, fake_root):
    root, _ = fake_root
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    assert cfg.num_classes == cfg.data_preprocessor.num_classes == CLOSED_SET_CONFIGS[name]
    for loader in ('train_dataloader', 'val_dataloader'):
        point_to_fake_data(cfg[loader], root)
        dataset = DATASETS.build(cfg[loader].dataset)
        assert len(dataset.metainfo['classes']) == cfg.num_classes
        labels = dataset.get_gt_labels()
        assert len(labels) > 0 and labels.min() >= 0 and labels.max() < cfg.num_classes
    assert cfg.val_evaluator.type == 'Accuracy'


def open_set_datasets(node):
    """All OpenSetDataset configs anywhere inside ``node``."""
    if isinstance(node, dict):
        found = [node] if node.get('type') == 'OpenSetDataset' else []
        for value in node.values():
            found += open_set_datasets(value)
        return found
    if isinstance(node, (list, tuple)):
        return [d for value in node for d in open_set_datasets(value)]
    return []


def point_to_fake_data(node, root):
    """Replace every ``data_root='data/X'`` by the fake ``{root}/X``."""
    if isinstance(node, dict):
        if isinstance(node.get('data_root'), str) and node['data_root'].startswith('data/'):
            node['data_root'] = osp.join(root, node['data_root'][len('data/'):])
        for value in node.values():
            point_to_fake_data(value, root)
    elif isinstance(node, (list, tuple)):
        for value in node:
            point_to_fake_data(value, root)


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_config_conventions(name):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    benchmark = CONFIGS[name]
    assert 'default_scope' not in cfg
    assert cfg.dataset_type == 'OpenSetDataset'
    assert cfg.data_preprocessor.num_classes == cfg.num_classes
    assert len(cfg.data_preprocessor.mean) == len(cfg.data_preprocessor.std) == 3
    datasets = open_set_datasets(cfg.to_dict())
    assert len(datasets) == 3  # train, val, test
    if benchmark is None:
        assert 'split' not in cfg and all('osr_split' not in d for d in datasets)
    else:
        assert cfg.split == 0 and all(d['osr_split'] == 0 for d in datasets)
        assert all(d['benchmark'] == benchmark for d in datasets)
        assert cfg.num_classes == len(get_open_set_split(benchmark, 0)[0])
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader_cfg = cfg[loader]
        assert loader_cfg.sampler.shuffle == (loader == 'train_dataloader')
        assert loader_cfg.get('persistent_workers', False) == (loader_cfg.num_workers > 0)
        # GPU loading for the real data (docs/gpu.md); the embedded digits are sized for the CPU
        assert loader_cfg.pin_memory == (not name.startswith('digits'))
        assert loader_cfg.num_workers == (0 if name.startswith('digits') else 8 if name.startswith('ssb') else 4)
    assert cfg.data_preprocessor.non_blocking
    assert cfg.train_dataloader.batch_size == (64 if name.startswith('digits') else 32)
    assert cfg.test_dataloader == cfg.val_dataloader
    train, val = cfg.train_dataloader.dataset, cfg.val_dataloader.dataset
    assert not train.get('with_unknown', False) and 'unknown_source' not in train
    assert val.get('with_unknown', False) or 'unknown_source' in val
    assert val.test_mode
    assert cfg.val_evaluator == dict(type='OpenSetEvaluator') and cfg.test_evaluator == cfg.val_evaluator


def fake_config(name, root, split=None):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    if split is not None:
        cfg.merge_from_dict(dict(split=split))  # what `--cfg-options split=...` does
        apply_osr_split(cfg)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        point_to_fake_data(cfg[loader], root)
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    return cfg


def build_loader(loader_cfg, dataset=None):
    """Build a dataloader as mmengine's Runner does, through the root registries with the scope of the runtime config.

    Passing an already built ``dataset`` skips building it again (each build costs a garbage collection).
    """
    loader_cfg = loader_cfg.to_dict()
    if dataset is not None:
        loader_cfg['dataset'] = dataset
    with DefaultScope.overwrite_default_scope('openmixosr'):
        return Runner.build_dataloader(loader_cfg)


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_config_builds_and_feeds_the_preprocessor(name, fake_root):
    root, _ = fake_root
    benchmark = CONFIGS[name]
    split = None if benchmark is None else 2
    cfg = fake_config(name, root, split)
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    val_set = DATASETS.build(cfg.val_dataloader.dataset)
    for dataset in (train_set, val_set):
        assert len(dataset.metainfo['classes']) == cfg.num_classes
        if benchmark is not None:
            assert dataset.known_classes == get_open_set_split(benchmark, 2)[0]
    train_labels, val_labels = train_set.get_gt_labels(), val_set.get_gt_labels()
    assert train_labels.min() >= 0 and train_labels.max() < cfg.num_classes
    assert (val_labels == -1).any() and (val_labels >= 0).any() and val_labels.max() < cfg.num_classes

    preprocessor = MODELS.build(cfg.data_preprocessor)
    for loader_cfg, dataset in ((cfg.train_dataloader, train_set), (cfg.val_dataloader, val_set)):
        batch = next(iter(build_loader(loader_cfg, dataset)))
        assert len(batch['inputs']) == min(loader_cfg.batch_size, len(dataset))
        data = preprocessor(batch, training=dataset is train_set)
        size = {'digits': 16, 'tiny_imagenet': 64}.get(name.split('_osr')[0], 32)
        assert data['inputs'].shape[1:] == (3, size, size) and data['inputs'].dtype == torch.float32
        assert abs(float(data['inputs'].mean())) < 3  # normalised, not raw 0..255


def test_runner_builds_the_dataset_from_the_config(fake_root):
    # The whole path of a training run: mmengine's root registry, default scope 'openmixosr', our OpenSetDataset,
    # our CIFAR sources, mmpretrain's transforms and sampler.
    root, _ = fake_root
    cfg = fake_config('cifar_plus10_osr.py', root, split=4)
    loader = build_loader(cfg.test_dataloader)
    assert loader.dataset.known_classes == [1, 0, 9, 8]
    assert loader.dataset.unknown_classes == [33, 2, 3, 97, 46, 21, 64, 63, 88, 43]
    labels = torch.cat([sample.gt_label for batch in loader for sample in batch['data_samples']])
    assert (labels == -1).sum() == 10 * 2 and (labels >= 0).sum() == 4 * 3


def test_tiny_imagenet_config_turns_bgr_files_into_normalised_rgb(fake_root):
    # The fake JPEGs encode the source class in the red channel; after LoadImageFromFile (BGR) and the preprocessor
    # (to_rgb=True) it must be the first channel.
    root, _ = fake_root
    cfg = fake_config('tiny_imagenet_osr.py', root)
    loader_cfg = cfg.val_dataloader
    loader_cfg.dataset.with_unknown = False
    batch = next(iter(build_loader(loader_cfg)))
    data = MODELS.build(cfg.data_preprocessor)(batch)
    known = get_open_set_split('tiny_imagenet', 0)[0]
    mean = torch.tensor(cfg.data_preprocessor.mean).view(3, 1, 1)
    std = torch.tensor(cfg.data_preprocessor.std).view(3, 1, 1)
    for image, sample in zip(data['inputs'], data['data_samples']):
        rgb = torch.tensor([known[int(sample.gt_label)], 0.0, 0.0]).view(3, 1, 1)
        assert torch.allclose(image, ((rgb - mean) / std).expand_as(image), atol=3 / 57.0)


def test_split_option_reaches_every_dataset(fake_root):
    root, written = fake_root
    cfg = fake_config('cifar10_osr.py', root, split=3)
    datasets = open_set_datasets(cfg.to_dict())
    assert [d['osr_split'] for d in datasets] == [3, 3, 3]
    val_set = DATASETS.build(cfg.val_dataloader.dataset)
    known = [8, 6, 1, 9, 0, 7]
    original = written['cifar10']['test_labels']
    assert np.array_equal(val_set.get_gt_labels(), [known.index(c) if c in known else -1 for c in original])


def test_mnist_test_files_config_needs_only_t10k(tmp_path):
    from fake_data import write_mnist
    write_mnist(str(tmp_path / 'mnist'), per_class=10, prefixes=('t10k', ))
    cfg = fake_config('mnist_test_files_osr.py', str(tmp_path))
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    test_set = DATASETS.build(cfg.test_dataloader.dataset)
    assert len(train_set) == 6 * 7 and len(test_set) == 10 * 3


@pytest.mark.parametrize('name', sorted(NAMED_SET_CONFIGS))
def test_named_set_config_conventions(name):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    benchmark, num_classes, _ = NAMED_SET_CONFIGS[name]
    assert cfg.num_classes == cfg.data_preprocessor.num_classes == num_classes
    datasets = open_set_datasets(cfg.to_dict())
    assert len(datasets) == 3 and all(d['benchmark'] == benchmark for d in datasets)
    known = get_open_set_split(benchmark, 0)[0]
    assert known is None if benchmark == 'in21k_ssb' else cfg.num_classes == len(known)
    train, val = cfg.train_dataloader.dataset, cfg.val_dataloader.dataset
    assert 'unknown_sets' not in train and not train.get('with_unknown', False) and 'unknown_source' not in train
    assert tuple(val.unknown_sets) == ('easy', 'hard') and not val.get('with_unknown', False) and val.test_mode
    assert dict(type='PackInputs', algorithm_keys=('unknown_set', )) in val.pipeline
    assert tuple(cfg.val_evaluator.unknown_sets) == ('easy', 'hard') and cfg.test_evaluator == cfg.val_evaluator
    assert cfg.test_dataloader == cfg.val_dataloader
    for loader in ('train_dataloader', 'val_dataloader'):
        assert cfg[loader].sampler.shuffle == (loader == 'train_dataloader')


@pytest.mark.parametrize('name', sorted(NAMED_SET_CONFIGS))
def test_named_set_config_builds_on_fake_data(name, ssb_root, fake_root):
    benchmark, num_classes, size = NAMED_SET_CONFIGS[name]
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    for loader in ('train_dataloader', 'val_dataloader'):
        point_to_fake_data(cfg[loader], fake_root[0] if benchmark == 'in21k_ssb' else ssb_root[0])
        cfg[loader].update(num_workers=0, persistent_workers=False, batch_size=2)
    if benchmark == 'in21k_ssb':
        cfg.val_dataloader.dataset.unknown_source.data_root = osp.join(ssb_root[0], 'imagenet21k')
    train_set = DATASETS.build(cfg.train_dataloader.dataset)
    val_set = DATASETS.build(cfg.val_dataloader.dataset)
    assert len(train_set.metainfo['classes']) == len(val_set.metainfo['classes']) == num_classes
    assert set(train_set.get_gt_labels()) == set(range(num_classes))  # one fake image per class
    marks = [val_set.get_data_info(i)['unknown_set'] for i in range(len(val_set))]
    assert set(marks) == {'', 'easy', 'hard'}
    assert [label == -1 for label in val_set.get_gt_labels()] == [mark != '' for mark in marks]
    preprocessor = MODELS.build(cfg.data_preprocessor)
    for loader_cfg, dataset in ((cfg.train_dataloader, train_set), (cfg.val_dataloader, val_set)):
        batch = next(iter(build_loader(loader_cfg, dataset)))
        data = preprocessor(batch, training=dataset is train_set)
        assert data['inputs'].shape == (2, 3, size, size)
    assert [sample.unknown_set for sample in data['data_samples']] == marks[:2]  # packed for the evaluator
