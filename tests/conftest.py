"""Shared test setup: register every component once, point at the repository root, and build the tiny models and
fake batches that the model tests (tests/test_models) and the hook tests (tests/test_engine/test_hooks) both use.

The factories seed the global generator exactly as the tests did before they moved here, so values stay identical.
The classifier and distiller factories are here too (hook tests drive a tiny distiller); the self-supervised AMix
ones are in tests/test_models/conftest.py.
"""
import copy
import gc
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    """Register every component (as in a run: configs set ``default_scope``), in the processes that run tests.

    The pytest-xdist controller only hands out tests: it imports nothing heavy, so that the workers start seconds
    sooner. pytest.ini runs the suite on every core (one worker per core): one thread per worker and per tool it
    starts (``OMP_NUM_THREADS`` is read by the tools' torch), or the workers' thread pools oversubscribe the cores and
    the suite takes several times longer. Values do not depend on it: a test compares runs made with the same thread
    count.
    """
    if config.getoption('dist', 'no') != 'no' and not os.environ.get('PYTEST_XDIST_WORKER'):
        return  # the xdist controller
    if os.environ.get('PYTEST_XDIST_WORKER'):
        os.environ['OMP_NUM_THREADS'] = '1'
        os.environ['MKL_NUM_THREADS'] = '1'
        import torch
        torch.set_num_threads(1)
    from openmixosr.utils import register_all_modules
    register_all_modules(init_default_scope=True)

#: Test folders whose files train models in subprocesses (tens of seconds per test). They are collected first, so that
#: pytest-xdist (pytest.ini: ``--dist loadgroup --no-loadscope-reorder``: work handed out in collection order) starts
#: the longest work first and the short files fill in at the end, instead of one long file running alone at the end.
LONG_RUNNING = ('test_tools', 'test_package', 'test_device', 'test_apis', 'test_docs', 'test_analysis')

#: Files whose tests share nothing costly (no module fixture): pytest-xdist hands their tests out one by one. Every
#: other file is one unit of work (``xdist_group``), so that its module fixtures are built once, on one worker.
INDEPENDENT_TESTS = ('test_tools/test_train_resume.py', 'test_configs.py')


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(items):
    """Collect the long-running test folders first (stable: the order within each part is kept); group the tests of
    each file but :data:`INDEPENDENT_TESTS`."""
    def part(item) -> int:
        parts = item.path.relative_to(REPO_ROOT / 'tests').parts
        return 0 if parts[0] in LONG_RUNNING else 1
    items.sort(key=part)
    for item in items:
        path = item.path.relative_to(REPO_ROOT / 'tests').as_posix()
        if path not in INDEPENDENT_TESTS:
            item.add_marker(pytest.mark.xdist_group(path))


def pytest_collection_finish(session):
    """Move what exists after collection (the libraries, the test modules) out of the garbage collector's sight: it
    lives as long as the test process anyway, and MMEngine calls ``gc.collect()`` for every dataset it builds, which
    would walk all of it each time (about 0.3 s per dataset with torch loaded)."""
    gc.collect()
    gc.freeze()


@pytest.fixture(scope='session')
def repo_root() -> Path:
    return REPO_ROOT


#: What every test's bfloat16 guard sees (:func:`cpu_without_native_bf16`): the strictest host, AVX2 only.
AVX2_ONLY_CPU = dict(model='AVX2-only test CPU', flags=frozenset({'avx', 'avx2', 'fma'}))


@pytest.fixture(autouse=True)
def cpu_without_native_bf16(monkeypatch):
    """Make the bfloat16 guard of ``CPUAutocastOptimWrapper`` / ``--amp`` see an AVX2-only CPU in every test, whatever
    the host computes natively, so that the suite passes or fails alike on CPUs with and without native bfloat16.

    A test about the guard fakes its own CPU description (``monkeypatch.setattr(optim_wrapper, 'read_cpuinfo',
    ...)``); a test about the bfloat16 math builds the wrapper with ``allow_emulated_bf16=True``. Tools run in a
    subprocess read the real ``/proc/cpuinfo``: none of them is run with ``--amp``.
    """
    from openmixosr.engine import optim_wrapper
    monkeypatch.setattr(optim_wrapper, 'read_cpuinfo', lambda: AVX2_ONLY_CPU)


@pytest.fixture
def tiny_resnet_cfg():
    """Factory ``(depth=18, width=8) -> dict``: a ``ResNet_CIFAR`` config with stage widths ``width`` to ``8 * width``
    (``32 * width`` for the bottleneck depths >= 50), returning only the last stage."""

    def make(depth: int = 18, width: int = 8) -> dict:
        return dict(type='ResNet_CIFAR', depth=depth, stem_channels=width, base_channels=width, out_indices=(3, ))

    return make


@pytest.fixture
def build_tiny_automix(tiny_resnet_cfg):
    """Factory ``(**overrides) -> AutoMix``: a 4-class AutoMix on the tiny ResNet-18 (width 8), a learned-mask mixer
    with a Mix Block on its ``layer3`` (32 channels, raw features) and ``alpha=2``; built after
    ``torch.manual_seed(0)`` and initialised.

    ``overrides`` replace top-level keys of the config (``mixer``, ``momentum_buffers``, ``data_preprocessor``...);
    ``mix_block`` replaces the mixer's Mix Block.
    """
    tiny_automix = dict(
        type='AutoMix',
        backbone=tiny_resnet_cfg(),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=4, in_channels=64),
        mixer=dict(type='LearnedMaskMixer', mix_block=dict(type='MixBlock', in_channels=32), mix_layer='layer3',
                   alpha=2.0, feature_norm='none'),
    )

    def build(**overrides):
        import torch

        from openmixosr.registry import MODELS
        cfg = copy.deepcopy(tiny_automix)
        if 'mix_block' in overrides:
            cfg['mixer']['mix_block'] = overrides.pop('mix_block')
        cfg.update(overrides)
        torch.manual_seed(0)
        model = MODELS.build(cfg)
        model.init_weights()
        return model

    return build


@pytest.fixture
def labelled_images():
    """Factory ``(n=8, size=16) -> (inputs, labels)``: ``torch.manual_seed(1)``, then ``n`` standard normal RGB images
    of ``size x size`` and the labels ``0, 1, 2, 3, 0, ...`` (4 classes)."""

    def make(n: int = 8, size: int = 16):
        import torch
        torch.manual_seed(1)
        return torch.randn(n, 3, size, size), torch.arange(n) % 4

    return make


@pytest.fixture
def gt_samples():
    """Factory ``(labels) -> [DataSample]``: one data sample per label, with that ``gt_label``."""

    def make(labels):
        from mmpretrain.structures import DataSample
        return [DataSample().set_gt_label(int(label)) for label in labels]

    return make


@pytest.fixture
def labelled_batch(labelled_images, gt_samples):
    """Factory ``(n=8, size=16) -> (inputs, data_samples)``: the images of ``labelled_images`` with their labels as
    data samples, ready for ``model.loss(inputs, data_samples)``."""

    def make(n: int = 8, size: int = 16):
        inputs, labels = labelled_images(n, size)
        return inputs, gt_samples(labels)

    return make


@pytest.fixture
def tiny_classifier_cfg(tiny_resnet_cfg):
    """Factory ``(depth=18, width=8, num_classes=4) -> dict``: an ``OpenSetClassifier`` on the tiny ``ResNet_CIFAR``
    (global average pooling, linear head), without data preprocessor."""

    def make(depth: int = 18, width: int = 8, num_classes: int = 4) -> dict:
        return dict(type='OpenSetClassifier',
                    backbone=tiny_resnet_cfg(depth, width),
                    neck=dict(type='GlobalAveragePooling'),
                    head=dict(type='LinearClsHead', num_classes=num_classes,
                              in_channels=width * 8 * (4 if depth >= 50 else 1)))

    return make


@pytest.fixture
def open_set_preprocessor_cfg():
    """Factory ``(num_classes=4) -> dict``: an ``OpenSetDataPreprocessor`` that leaves pixel values as they are."""

    def make(num_classes: int = 4) -> dict:
        return dict(type='OpenSetDataPreprocessor', num_classes=num_classes, mean=[0.0] * 3, std=[1.0] * 3)

    return make


@pytest.fixture
def tiny_distiller_cfg(tiny_classifier_cfg, open_set_preprocessor_cfg):
    """Factory ``(**overrides) -> dict``: an ``AsymmetricDistiller`` on 4 classes, student the tiny ResNet-18 (width 8),
    teacher a tiny ResNet-50 (width 4) with no checkpoint (random weights, which the distiller warns about)."""

    def make(**overrides) -> dict:
        cfg = dict(type='AsymmetricDistiller', student=tiny_classifier_cfg(18, 8), teacher=tiny_classifier_cfg(50, 4),
                   teacher_checkpoint=None, data_preprocessor=open_set_preprocessor_cfg())
        cfg.update(copy.deepcopy(overrides))
        return cfg

    return make


@pytest.fixture
def build_tiny_distiller(tiny_distiller_cfg):
    """Factory ``(**overrides) -> AsymmetricDistiller``: ``tiny_distiller_cfg(**overrides)`` built after
    ``torch.manual_seed(0)`` (checking the random-teacher warning) and initialised."""

    def build(**overrides):
        import torch

        from openmixosr.registry import MODELS
        torch.manual_seed(0)
        cfg = tiny_distiller_cfg(**overrides)
        with pytest.warns(UserWarning, match='keeps its initial weights'):
            model = MODELS.build(cfg)
        model.init_weights()
        return model

    return build
