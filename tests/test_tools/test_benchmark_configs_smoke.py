"""The shipped Semantic Shift Benchmark and large-scale configs, end to end through the tools on fake data.

Fake CUB, Stanford Cars, FGVC-Aircraft, Tiny-ImageNet and ImageNet-21K in their official on-disk layouts, with the
real class counts (tests/helpers/ssb_data.py), and a fake Places365 MoCo v2 ResNet-50 file stand in for the user's
files. Each run uses a config derived from the shipped one that differs only in image size, training-set size,
data-loader workers, the number of epochs and the checkpoint interval (checked key by key in :func:`derive_config`);
paths reach the tools through ``--cfg-options`` as a user would pass them.
"""
import fnmatch
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from openmixosr.engine import load_weights_only
from tests.helpers.run_tool import REPO_ROOT, run_tool
from tests.helpers.ssb_data import DATA_DIRS, write_large_scale_data, write_ssb_data

CONFIGS = REPO_ROOT / 'configs'
CE_SSB = {name: CONFIGS / f'baselines/ce_r50_ssb_{name}.py' for name in ('cub', 'scars', 'aircraft')}
ASYM_SSB = {name: CONFIGS / f'asym/r50_ssb_{name}.py' for name in ('cub', 'scars', 'aircraft')}
CE_R50_TINY_IN21K = CONFIGS / 'baselines/ce_r50_tiny_in21k.py'
ASYM_R18_TINY_IN21K = CONFIGS / 'asym/r18_tiny_in21k.py'
PLACES_MOCO = 'data/pretrained/moco_v2_places365_resnet50.pth'  # the shipped default path, relative to the cwd

#: Samples of each fake test split: one image per class, so the class counts of the published splits (the SSB tables
#: of docs/datasets.md: known / Easy / Medium + Hard; Tiny-ImageNet's 200 classes against the 1000 Easy and 980 Hard
#: ImageNet-21K-P wnids). '' = the known samples.
TEST_COUNTS = {
    'cub': {'': 100, 'easy': 32, 'hard': 34 + 34},
    'scars': {'': 98, 'easy': 76, 'hard': 15 + 7},
    'aircraft': {'': 50, 'easy': 20, 'hard': 17 + 13},
    'tiny_in21k': {'': 200, 'easy': 1000, 'hard': 980},
}

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
#: The size argument of each resizing / cropping transform of the shipped pipelines.
SIZED_TRANSFORMS = {'Resize': 'scale', 'ResizeEdge': 'scale', 'RandomCrop': 'crop_size', 'CenterCrop': 'crop_size'}
#: What a derived config may change (flattened key patterns): image sizes, the training-set cut, loader workers,
#: the number of epochs and the checkpoint interval. Everything else must equal the shipped config.
SMOKE_KEYS = ('*_dataloader.dataset.pipeline.*.scale*', '*_dataloader.dataset.pipeline.*.crop_size',
              'train_dataloader.dataset.indices', '*_dataloader.num_workers', '*_dataloader.persistent_workers',
              'train_cfg.max_epochs', 'default_hooks.checkpoint.interval')
TRAIN_SAMPLES = 8  # one iteration per epoch
SSB_SIZE, TINY_SIZE = 448, 64  # the image sizes of the shipped configs
SMOKE_SSB_SIZE = 16  # the SSB runs here: ResNet-50 still ends on a 1 x 1 map

METRIC = re.compile(r'(osr/[\w/]+): (-?[\d.]+)')


def _flatten(value, prefix=''):
    """``{'a': {'b': [1, 2]}}`` -> ``{'a.b.0': 1, 'a.b.1': 2}``; empty containers stay leaves."""
    if isinstance(value, dict) and value:
        items = value.items()
    elif isinstance(value, (list, tuple)) and value:
        items = enumerate(value)
    else:
        return {prefix: value}
    flat = {}
    for key, item in items:
        flat.update(_flatten(item, f'{prefix}.{key}' if prefix else str(key)))
    return flat


def _without_smoke_keys(cfg: Config) -> dict:
    return {key: value for key, value in _flatten(cfg.to_dict()).items()
            if not any(fnmatch.fnmatchcase(key, pattern) for pattern in SMOKE_KEYS)}


def derive_config(shipped: Path, out: Path, size: int, shipped_size: int) -> Config:
    """Write ``out``: the shipped config at ``size`` px instead of ``shipped_size`` (the size of every resizing and
    cropping transform), trained on its first :data:`TRAIN_SAMPLES` samples, without loader workers, for the fewest
    epochs its schedule admits (1 + the latest ``begin`` of its schedulers: AGC's recipe has a 10-epoch warm-up
    before its cosine schedule, and OpenMixOSR refuses a run that ends before a scheduler begins), saving a checkpoint
    at the last epoch only.

    Why: the shipped configs train at 448 px (the SSB) or 64 px for hundreds of epochs with 8 workers; everything
    else (model, losses, optimiser, schedule, data sources, pipelines' transforms, evaluator, hooks) is what the
    tools must run, so the written config is compared with the shipped one key by key (:data:`SMOKE_KEYS` masked).

    Returns:
        Config: The derived config as read back from ``out``.
    """
    cfg = Config.fromfile(shipped)
    shipped_sizes = set()
    for name in LOADERS:
        loader = cfg[name]
        loader.num_workers = 0
        loader.persistent_workers = False
        for transform in loader.dataset.pipeline:
            key = SIZED_TRANSFORMS.get(transform['type'])
            if key is not None:
                value = transform[key]
                shipped_sizes.update(value if isinstance(value, (list, tuple)) else [value])
                transform[key] = (size, size) if isinstance(value, (list, tuple)) else size
    cfg.train_dataloader.dataset.indices = TRAIN_SAMPLES
    schedulers = cfg.param_scheduler if isinstance(cfg.param_scheduler, list) else [cfg.param_scheduler]
    cfg.train_cfg.max_epochs = 1 + max(scheduler.get('begin', 0) for scheduler in schedulers)
    cfg.default_hooks.checkpoint.interval = cfg.train_cfg.max_epochs
    cfg.dump(str(out))

    derived = Config.fromfile(str(out))
    assert _without_smoke_keys(derived) == _without_smoke_keys(Config.fromfile(shipped))
    assert shipped_sizes == {shipped_size}, f'{shipped} has sized transforms of {sorted(shipped_sizes)} px'
    return derived


def logged_metrics(output: str, stage: str) -> dict:
    """The ``osr/...`` metrics of the last ``Epoch(val)`` / ``Epoch(test)`` log line."""
    lines = [line for line in output.splitlines() if f'Epoch({stage})' in line and 'osr/' in line]
    assert lines, f'no {stage} metrics logged:\n{output[-3000:]}'
    return {name: float(value) for name, value in METRIC.findall(lines[-1])}


def check_named_set_metrics(metrics: dict, output: str, counts: dict) -> None:
    """One accuracy, AUROC / OSCR per unknown set in percent, no unnamed metric; the printed table names the sets
    with their sizes (``counts``: test samples per set, '' = known)."""
    for name in ('osr/accuracy', 'osr/easy/auroc', 'osr/hard/auroc', 'osr/easy/oscr', 'osr/hard/oscr'):
        assert name in metrics, name
        assert 0.0 <= metrics[name] <= 100.0, (name, metrics[name])
    assert {name for name in metrics if name.count('/') == 1} == {'osr/accuracy'}, sorted(metrics)
    assert 'osr/auroc' not in metrics
    sets = ', '.join(f'{name} {count}' for name, count in counts.items() if name)
    assert f'{counts[""]} known samples, unknown samples {sets};' in output
    assert re.findall(r'^(\w+) +\| mls \* \|', output, flags=re.M) == ['easy', 'hard']


def train(config, work_dir, *options, extra=()):
    result = run_tool('train.py', config, '--work-dir', work_dir, *extra, '--cfg-options', *options)
    return result.stdout + result.stderr


def data_options(root, name, loaders=LOADERS):
    return [f'{loader}.dataset.source.data_root={root / DATA_DIRS[name]}' for loader in loaders]


def conv_weights(fake):
    return {key[len('module.'):]: value for key, value in fake.items()
            if value.dim() == 4 and not key.startswith('module.fc.')}


def assert_started_from(state_dict, prefix, fake):
    """Every convolution of the backbone is within 30% (relative L2) of the fake file's: the run started from it
    (a short warm-up at lr <= 1e-3 moves them by a few percent; another random start is ~100% away)."""
    for key, value in conv_weights(fake).items():
        change = (state_dict[prefix + key] - value).norm() / value.norm()
        assert change < 0.3, (key, float(change))


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('benchmark_data')
    write_ssb_data(str(root))
    write_large_scale_data(str(root))
    return root


@pytest.fixture(scope='module')
def places_moco(tmp_path_factory):
    """A stand-in for the user's Places365 MoCo v2 ResNet-50 file: mmpretrain's ResNet-50 entries (torchvision's
    names) under ``module.``, plus MoCo v2's projection head ``fc.0`` (2048 -> 2048) and ``fc.2`` (2048 -> 128).
    Returns (path, state dict)."""
    from mmpretrain.models import ResNet

    torch.manual_seed(1234)
    backbone = ResNet(depth=50)
    projection = torch.nn.Sequential(torch.nn.Linear(2048, 2048), torch.nn.ReLU(), torch.nn.Linear(2048, 128))
    state = {f'module.{key}': value for key, value in backbone.state_dict().items()}
    state.update({f'module.fc.{key}': value for key, value in projection.state_dict().items()})
    path = tmp_path_factory.mktemp('pretrained') / 'moco_v2_places365_resnet50.pth'
    torch.save(state, path)
    return path, state


def test_fake_places_weights_have_torchvision_names(places_moco):
    import torchvision

    _, state = places_moco
    expected = {f'module.{key}' for key in torchvision.models.resnet50().state_dict() if not key.startswith('fc.')}
    expected |= {'module.fc.0.weight', 'module.fc.0.bias', 'module.fc.2.weight', 'module.fc.2.bias'}
    assert set(state) == expected


def test_derived_config_refuses_other_changes(tmp_path):
    # The key-by-key comparison of derive_config can fail: a shipped config read with another value differs.
    derived = derive_config(CE_SSB['cub'], tmp_path / 'derived.py', 32, SSB_SIZE)
    shipped = Config.fromfile(CE_SSB['cub'])
    assert derived.train_cfg.max_epochs == 11 and derived.train_dataloader.dataset.pipeline[2].scale == (32, 32)
    shipped.merge_from_dict({'optim_wrapper.optimizer.lr': 0.01})
    assert _without_smoke_keys(derived) != _without_smoke_keys(shipped)


def test_cub_teacher_student_test_and_curves(data_root, places_moco, tmp_path):
    weights, fake = places_moco
    counts = TEST_COUNTS['cub']
    ce_config = derive_config(CE_SSB['cub'], tmp_path / 'ce_r50_ssb_cub.py', SMOKE_SSB_SIZE, SSB_SIZE)
    asym_config = derive_config(ASYM_SSB['cub'], tmp_path / 'r50_ssb_cub.py', SMOKE_SSB_SIZE, SSB_SIZE)
    epochs = ce_config.train_cfg.max_epochs

    teacher_dir = tmp_path / 'teacher'
    output = train(tmp_path / 'ce_r50_ssb_cub.py', teacher_dir, *data_options(data_root, 'cub'),
                   f'model.backbone.init_cfg.checkpoint={weights}')
    check_named_set_metrics(logged_metrics(output, 'val'), output, counts)
    assert 'unexpected key in source state_dict: fc.0.weight, fc.0.bias, fc.2.weight, fc.2.bias' in output
    teacher = load_weights_only(str(teacher_dir / f'epoch_{epochs}.pth'))['state_dict']
    assert_started_from(teacher, 'backbone.', fake)

    student_dir = tmp_path / 'student'
    teacher_checkpoint = teacher_dir / f'epoch_{epochs}.pth'
    paths = [f'model.teacher_checkpoint={teacher_checkpoint}', f'model.student.backbone.init_cfg.checkpoint={weights}']
    output = train(tmp_path / 'r50_ssb_cub.py', student_dir, *data_options(data_root, 'cub'), *paths)
    check_named_set_metrics(logged_metrics(output, 'val'), output, counts)
    student_checkpoint = student_dir / f'epoch_{asym_config.train_cfg.max_epochs}.pth'
    distiller = load_weights_only(str(student_checkpoint))['state_dict']
    assert_started_from(distiller, 'student.backbone.', fake)
    for key, value in teacher.items():  # the frozen teacher is the CE checkpoint
        assert torch.equal(distiller[f'teacher.{key}'], value), key

    dump = tmp_path / 'scores.npz'
    result = run_tool('test.py', tmp_path / 'r50_ssb_cub.py', student_checkpoint, '--work-dir', tmp_path / 'test',
                      '--out', dump, '--cfg-options', *data_options(data_root, 'cub', ['test_dataloader']), *paths)
    output = result.stdout + result.stderr
    check_named_set_metrics(logged_metrics(output, 'test'), output, counts)
    with np.load(dump, allow_pickle=False) as data:
        names, labels = data['unknown_set'], data['labels']
    assert {name: int((names == name).sum()) for name in counts} == counts and len(names) == sum(counts.values())
    np.testing.assert_array_equal(labels == -1, names != '')
    assert set(labels[labels >= 0].tolist()) == set(range(100))

    curves = tmp_path / 'curves'
    result = run_tool('analysis/plot_osr_curves.py', dump, '--out-dir', curves)
    for name in ('roc_easy', 'oscr_easy', 'roc_hard', 'oscr_hard'):
        assert (curves / f'{name}.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
        assert f'Saved {curves / name}.png' in result.stdout
    assert not (curves / 'roc.png').exists()


@pytest.mark.parametrize('name', ['scars', 'aircraft'])
def test_ssb_ce_baseline_trains_and_validates(name, data_root, places_moco, tmp_path):
    # The distillation configs of these two differ from CUB's in their dataset base only, which the CE baseline runs;
    # their students are left out for time (~11 s each).
    weights, _ = places_moco
    config = tmp_path / f'ce_r50_ssb_{name}.py'
    derive_config(CE_SSB[name], config, SMOKE_SSB_SIZE, SSB_SIZE)
    output = train(config, tmp_path / 'work', *data_options(data_root, name),
                   f'model.backbone.init_cfg.checkpoint={weights}')
    check_named_set_metrics(logged_metrics(output, 'val'), output, TEST_COUNTS[name])


def test_large_scale_teacher_then_student(data_root, tmp_path):
    teacher_config = derive_config(CE_R50_TINY_IN21K, tmp_path / 'ce_r50_tiny_in21k.py', 8, TINY_SIZE)
    derive_config(ASYM_R18_TINY_IN21K, tmp_path / 'r18_tiny_in21k.py', 8, TINY_SIZE)
    tiny = data_root / DATA_DIRS['tiny']
    # The teacher skips validation: a ResNet-50 over the 2,180 test images takes ~10 s; the student validates on the
    # same test set config.
    train(tmp_path / 'ce_r50_tiny_in21k.py', tmp_path / 'teacher', f'train_dataloader.dataset.source.data_root={tiny}',
          extra=['--no-validate'])
    teacher_checkpoint = tmp_path / 'teacher' / f'epoch_{teacher_config.train_cfg.max_epochs}.pth'
    output = train(tmp_path / 'r18_tiny_in21k.py', tmp_path / 'student', *data_options(data_root, 'tiny'),
                   f'val_dataloader.dataset.unknown_source.data_root={data_root / DATA_DIRS["in21k"]}',
                   f'model.teacher_checkpoint={teacher_checkpoint}')
    # 1980 unknown samples: the fake folder's extra wnid (in neither set) is not read
    check_named_set_metrics(logged_metrics(output, 'val'), output, TEST_COUNTS['tiny_in21k'])


def test_missing_places_weights_fail_before_training(data_root, tmp_path):
    # The shipped config as it is, from a directory without data/pretrained/: the images are there, the weights not.
    work_dir = tmp_path / 'work'
    result = run_tool('train.py', CE_SSB['cub'], '--work-dir', work_dir, '--cfg-options',
                      *data_options(data_root, 'cub', ['train_dataloader', 'val_dataloader']), cwd=tmp_path,
                      check=False)
    assert result.returncode != 0
    assert (f'Pretrained weights {PLACES_MOCO} not found (init_cfg of ResNet). OpenMixOSR never downloads weights: '
            'put the checkpoint file at that path') in result.stderr
    assert 'Epoch(train)' not in result.stdout + result.stderr
    assert not list(work_dir.glob('*.pth'))


def test_missing_cub_data_shows_the_layout(places_moco, tmp_path):
    # The shipped config with the weights given, from a directory without data/CUB_200_2011.
    weights, _ = places_moco
    result = run_tool('train.py', CE_SSB['cub'], '--work-dir', tmp_path / 'work', '--cfg-options',
                      f'model.backbone.init_cfg.checkpoint={weights}', cwd=tmp_path, check=False)
    assert result.returncode != 0
    missing = tmp_path / 'data' / 'CUB_200_2011'
    tried = f"CUB data not found: tried 'data/CUB_200_2011' (relative to the working directory: '{missing}')"
    assert tried in result.stderr
    for line in ('Expected on-disk layout:', '├── images.txt', '├── image_class_labels.txt',
                 '├── train_test_split.txt', '    └── 001.Black_footed_Albatross/Black_Footed_Albatross_0001',
                 'OpenMixOSR never downloads data'):
        assert line in result.stderr, line
    assert 'Epoch(train)' not in result.stdout + result.stderr
