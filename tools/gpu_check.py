"""One prepared check of a GPU machine: every model family trains, resumes and tests there, in fp32 and with --amp,
and the speed of the learned mixups is measured (docs/gpu.md).

Usage::

    python tools/gpu_check.py [--out-dir work_dirs/gpu_check] [--amp-dtype float16|bfloat16] [--families ...]
    python tools/gpu_check.py --device cpu --tiny      # the same checks, tiny, on the CPU (the test suite runs it)

Needs nothing but ``pip install -e .``: the data are random images made on the fly at each config's resolution
(``tools/gpu_check_data.py``), the teachers are random, no pretrained weights are read. For every family of
:data:`FAMILIES` (the shipped config named there) and each precision (fp32, ``--amp``):

1. **Training steps** (in this process): the config's model, optimizer wrapper (``--amp``: what ``tools/train.py
   --amp`` builds, MMEngine's ``AmpOptimWrapper`` on a GPU) and batch size on a batch at the config's resolution
   already on the device; fp32 and ``--amp`` steps take turns on one model, 5 untimed rounds then 15 timed ones
   (``time_interleaved`` of :mod:`openmixosr.utils.benchmarking`, the clock synchronised with the GPU): every loss
   finite, the median step time, images/s and the peak GPU memory of each (``torch.cuda.max_memory_allocated``).
   The AutoMix / CutMix and AMix / CutMix step-time ratios at Tiny-ImageNet size (ResNet-18, 64 px, batch 100, 200
   classes) are the epoch-time ratios without data loading; the anchor is AutoMix Table 9 (MixUp 20 h, AutoMix 34 h
   on Tiny-ImageNet: 1.70x; goal <= 1.5x). The cost of ``randomness.deterministic=True`` is timed on the
   Tiny-ImageNet families.
2. **The tools** (``tools/train.py`` and ``tools/test.py``, called in this process on a config derived from the
   shipped one: the random images, 2 epochs of ``TRAIN_BATCHES`` steps, checkpoints every epoch, no lr schedule):
   train 2 epochs; resume the epoch-1 checkpoint in a new work dir and train epoch 2 again: the weights must be
   identical (``randomness.deterministic=True``; a family that torch cannot run deterministically is compared with
   a tolerance and the op is named); ``tools/test.py --scores`` (every one-pass score but the three that need every
   class classified correctly on the training set, :data:`UNTRAINED_SCORES`) on the resumed checkpoint.
3. **Distributed launch**: ``tools/dist_train.sh`` (torchrun) on the first family with 2 processes when the machine
   has 2 GPUs, else 1 (NCCL on GPUs, gloo on the CPU), at the recipe's total batch.

The report is written as ``gpu_check.md`` and ``gpu_check.json`` in ``--out-dir``; the exit status is 1 when a check
failed. ``--tiny`` shrinks everything (16x narrower networks, 8 px images (SSB 16), batches of 8, 5 classes, MoCo
queues of 64, 1 warm-up + 1 timed step, one thread; the tools on one family per hook and data path,
:data:`TINY_TOOL_FAMILIES`, and with ``--amp`` on AutoMix only) so that the whole check runs in about a minute on a
CPU: its numbers only show that the script works.
"""
import argparse
import gc
import importlib.util
import json
import math
import os
import socket
import subprocess
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

import torch
from mmengine.config import Config

REPO_ROOT = Path(__file__).resolve().parents[1]
TOOLS = REPO_ROOT / 'tools'


@dataclass
class Family:
    """A model family: its shipped config and, for the step timing only, another batch size / class count.

    Args:
        name (str): Key in the report.
        config (str): Shipped config, relative to ``configs/``.
        bench_batch_size (int, optional): Batch of the timed steps (None: the config's).
        bench_num_classes (int, optional): Classes of the timed steps (None: the config's).
    """
    name: str
    config: str
    bench_batch_size: Optional[int] = None
    bench_num_classes: Optional[int] = None


#: Every model family at its real resolution. ``tiny_cutmix`` is timed in AutoMix's Tiny-ImageNet setting (batch 100,
#: 200 classes) so that it is the base of the AutoMix / CutMix and AMix / CutMix ratios.
FAMILIES = (
    Family('cifar_cutmix_r18', 'baselines/cutmix_r18_cifar10.py'),
    Family('tiny_cutmix_r18', 'baselines/cutmix_r18_tiny_imagenet.py', bench_batch_size=100, bench_num_classes=200),
    Family('tiny_automix_r18', 'automix/automix_r18_tiny_imagenet.py'),
    Family('tiny_amix_r18', 'amix/amix_r18_tiny_imagenet.py'),
    Family('ssb_ce_r50', 'baselines/ce_r50_ssb_cub.py'),
    Family('tiny_asym_cutmix', 'asym/r18_tiny.py'),
    Family('tiny_asym_amix_mask', 'asym/r18_tiny_amix_mask.py'),
    Family('tiny_mocov2_amix_i', 'selfsup/amix_i_r18_tiny_imagenet.py'),
    Family('tiny_mocov2_amix_c', 'selfsup/amix_c_r18_tiny_imagenet.py'),
)
RATIOS = dict(automix_over_cutmix=('tiny_automix_r18', 'tiny_cutmix_r18'),
              amix_over_cutmix=('tiny_amix_r18', 'tiny_cutmix_r18'))
#: AutoMix Table 9 (Tiny-ImageNet, ResNet-18): total training time MixUp 20 h, AutoMix (l = 3) 34 h.
ANCHOR_RATIO, GOAL_RATIO = 34 / 20, 1.5
#: The families whose cost of deterministic kernels is timed.
DETERMINISM_FAMILIES = ('tiny_cutmix_r18', 'tiny_automix_r18', 'tiny_amix_r18')
#: One-pass scores that need every class classified correctly on the training set: not fitted for these untrained
#: networks (their code is numpy, device-free, and tested on the CPU).
UNTRAINED_SCORES = ('klm', 'she', 'openmax')
PRECISIONS = ('fp32', 'amp')
#: ``--tiny``: the tools run on one family per hook and data path (CutMix classifier; AutoMix's momentum pipeline; the
#: SSB's named unknown sets and ImageNet ResNet-50; the distiller's trained mixer and its schedule hook; AMix-C's
#: clustering hook); the others differ from these in sizes only.
TINY_TOOL_FAMILIES = ('cifar_cutmix_r18', 'tiny_automix_r18', 'ssb_ce_r50', 'tiny_asym_amix_mask', 'tiny_mocov2_amix_c')
NONDETERMINISTIC = 'does not have a deterministic implementation'


@dataclass
class Settings:
    """Sizes of the check (:meth:`make`: the configs' own on a GPU, tiny ones with ``--tiny``)."""
    device: str
    tiny: bool
    amp_dtype: Optional[str]
    warmup: int
    rounds: int
    train_batches: int
    width_divisor: int = 1
    image_size: Optional[int] = None  # None: the config's
    batch_size: Optional[int] = None
    num_classes: Optional[int] = None
    workers: int = 4
    train_samples_min: int = 64  # KNN's k = 50 needs 50 training samples
    #: The tools run on these families only (None: all) in fp32, and these in --amp.
    tool_families: Optional[tuple] = None
    tool_amp_families: Optional[tuple] = None

    @classmethod
    def make(cls, device: str, tiny: bool, amp_dtype: Optional[str]) -> 'Settings':
        if tiny:  # one family per hook / data path; --amp through the tools once (bf16 is emulated on most CPUs)
            return cls(device, True, amp_dtype, warmup=1, rounds=1, train_batches=2, width_divisor=16, image_size=8,
                       batch_size=8, num_classes=5, workers=0, train_samples_min=0, tool_families=TINY_TOOL_FAMILIES,
                       tool_amp_families=('tiny_automix_r18', ))
        return cls(device, False, amp_dtype, warmup=5, rounds=15, train_batches=2)

    def runs_tools(self, family: 'Family', precision: str) -> bool:
        chosen = self.tool_amp_families if precision == 'amp' else self.tool_families
        return chosen is None or family.name in chosen


# ------------------------------------------------------------------------------------------------------------------
# Configs
# ------------------------------------------------------------------------------------------------------------------
CHANNEL_KEYS = ('stem_channels', 'base_channels', 'in_channels', 'hid_channels')
SIZED_TRANSFORMS = {'Resize': 'scale', 'ResizeEdge': 'scale', 'RandomCrop': 'crop_size', 'CenterCrop': 'crop_size',
                    'RandomResizedCrop': 'scale'}


#: mmpretrain's ResNet / ResNeXt stem and stage widths when a config does not state them.
RESNET_WIDTHS = dict(stem_channels=64, base_channels=64)


def narrow(node, divisor: int):
    """A model config with every channel count of :data:`CHANNEL_KEYS` divided by ``divisor`` (same structure)."""
    if isinstance(node, dict):
        if 'depth' in node and str(node.get('type', '')).startswith('ResNe'):
            node = dict(RESNET_WIDTHS, **node)
        return {key: value // divisor if key in CHANNEL_KEYS else narrow(value, divisor) for key, value in node.items()}
    if isinstance(node, (list, tuple)):
        return type(node)(narrow(value, divisor) for value in node)
    return node


def _loads_image_files(transform) -> bool:
    """Whether a transform config decodes image files (mmcv's ``LoadImageFromFile`` or a subclass, such as
    ``StrictLoadImageFromFile``)."""
    from mmcv.transforms import LoadImageFromFile
    from openmixosr.registry import TRANSFORMS
    if not isinstance(transform, dict) or not isinstance(transform.get('type'), str):
        return False
    transform_class = TRANSFORMS.get(transform['type'])
    return isinstance(transform_class, type) and issubclass(transform_class, LoadImageFromFile)


def _resized(node, size: int):
    """A pipeline with its image-file loading dropped (the images are made in memory) and, when ``size`` is given,
    every resizing / cropping transform at ``size``."""
    if isinstance(node, list):
        return [_resized(item, size) for item in node if not _loads_image_files(item)]
    if isinstance(node, dict):
        node = {key: _resized(value, size) for key, value in node.items()}
        key = SIZED_TRANSFORMS.get(node.get('type'))
        if size and key in node:
            node[key] = size
            if node.get('padding'):
                node['padding'] = max(1, size // 8)
        return node
    return node


def _without_weights(node):
    """Drop every pretrained ``init_cfg`` (a file the machine need not have) and the teacher checkpoint."""
    if isinstance(node, dict):
        node = {key: _without_weights(value) for key, value in node.items()}
        if isinstance(node.get('init_cfg'), dict) and 'checkpoint' in node['init_cfg']:
            node['init_cfg'] = None
        if 'teacher_checkpoint' in node:
            node['teacher_checkpoint'] = None
        return node
    if isinstance(node, list):
        return [_without_weights(item) for item in node]
    return node


def _evaluator_types(evaluator) -> List[dict]:
    return [item for item in (evaluator if isinstance(evaluator, list) else [evaluator]) if isinstance(item, dict)]


def check_config(family: Family, settings: Settings, bench: bool = False) -> Config:
    """The family's shipped config on :mod:`gpu_check_data`'s random images, without weights files, short.

    ``bench``: the batch size and class count of the timed steps (``Family.bench_*``).
    """
    cfg = Config.fromfile(str(REPO_ROOT / 'configs' / family.config))
    image_size = settings.image_size
    if image_size and 'ssb' in family.name:
        image_size = 2 * image_size  # the ImageNet ResNet-50's stem and 4 stages halve 5 times
    batch_size = settings.batch_size or (bench and family.bench_batch_size) or cfg.train_dataloader.batch_size
    model = _without_weights(cfg.model.to_dict())
    if settings.width_divisor > 1:
        model = narrow(model, settings.width_divisor)
    num_classes = settings.num_classes or (bench and family.bench_num_classes) or cfg.get('num_classes')
    selfsup = 'num_classes' not in cfg.data_preprocessor
    if not selfsup:
        cfg.data_preprocessor.num_classes = num_classes
        for head in ('head', 'student.head', 'teacher.head'):
            parts = head.split('.')
            node = model
            for part in parts[:-1]:
                node = node.get(part, {})
            if parts[-1] in node:
                node[parts[-1]]['num_classes'] = num_classes
    if 'num_clusters' in model and settings.num_classes:
        model['num_clusters'] = settings.num_classes
    if 'queue_len' in model and settings.tiny:
        model['queue_len'] = 8 * batch_size  # MoCo's 65,536 negatives dwarf a tiny network
    cfg.model = model
    evaluators = _evaluator_types(cfg.get('val_evaluator'))
    open_set = any(item.get('type') == 'OpenSetEvaluator' for item in evaluators)
    unknown_sets = next((item.get('unknown_sets') for item in evaluators if item.get('unknown_sets')), None)
    size = image_size or _config_image_size(cfg)
    train_samples = max(batch_size * settings.train_batches, settings.train_samples_min, num_classes or 0)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if not loader:
            continue
        training = name == 'train_dataloader'
        pipeline = _resized(loader.dataset.get('pipeline') or _find_pipeline(loader.dataset), image_size)
        loader.dataset = dict(type='GPUCheckImages', num_classes=num_classes or 10, image_size=size,
                              num_samples=train_samples if training else max(3 * (num_classes or 4), 24),
                              unknown_every=0 if training or not open_set else 3, unknown_sets=unknown_sets,
                              seed=int(not training), pipeline=pipeline, test_mode=not training)
        loader.num_workers = settings.workers
        loader.persistent_workers = False
        if training:
            loader.batch_size = batch_size
    cfg.auto_scale_lr = dict(base_batch_size=batch_size)  # the recipe's total batch, as the shipped configs state it
    cfg.custom_imports = dict(imports=['gpu_check_data'], allow_failed_imports=False)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=2)
    cfg.param_scheduler = None  # the recipes' warm-ups are longer than the check
    cfg.default_hooks.checkpoint = dict(type='AtomicCheckpointHook', interval=1, max_keep_ckpts=2)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.log_level = 'WARNING'
    cfg.pop('split', None)
    return cfg


def _find_pipeline(dataset: dict) -> list:
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']
    return dataset.get('pipeline', [])


def _config_image_size(cfg: Config) -> int:
    """The resolution of a shipped config: the size of its first resizing / cropping transform in training."""
    def sizes(node):
        if isinstance(node, dict):
            key = SIZED_TRANSFORMS.get(node.get('type'))
            if key in node:
                yield node[key] if isinstance(node[key], int) else node[key][0]
            for value in node.values():
                yield from sizes(value)
        elif isinstance(node, list):
            for value in node:
                yield from sizes(value)
    return next(sizes(_find_pipeline(cfg.train_dataloader.dataset.to_dict())), 32)


# ------------------------------------------------------------------------------------------------------------------
# 1. Training steps
# ------------------------------------------------------------------------------------------------------------------
def synchronized_clock(device: torch.device) -> Callable[[], float]:
    """``time.perf_counter`` that first waits for the GPU's queued work (the step's kernels run asynchronously)."""
    if device.type != 'cuda':
        return time.perf_counter

    def clock() -> float:
        torch.cuda.synchronize(device)
        return time.perf_counter()

    return clock


def _optim_wrapper(model, cfg: Config, precision: str, settings: Settings):
    from mmengine.optim import build_optim_wrapper

    from openmixosr.engine.optim_wrapper import mixed_precision
    wrapper = cfg.optim_wrapper.to_dict()
    if precision == 'amp':
        if settings.device == 'cpu':
            wrapper['allow_emulated_bf16'] = True  # the CPU check runs bf16 even where it is emulated (slow)
        wrapper = mixed_precision(wrapper, settings.amp_dtype, cuda=settings.device == 'cuda')
    return build_optim_wrapper(model, wrapper)


def _step_data(cfg: Config, device: torch.device, batch_size: int, num_classes: int):
    """A function returning one step's data: a fixed random uint8 batch on the device, fresh data samples."""
    from mmpretrain.structures import DataSample
    size = cfg.train_dataloader.dataset.image_size
    images = torch.randint(0, 256, (batch_size, 3, size, size), dtype=torch.uint8, device=device)
    if 'num_classes' not in cfg.data_preprocessor:  # pre-training: two views, dataset indices
        views = [images, images.flip(-1)]
        return lambda: dict(inputs=views, data_samples=[DataSample(metainfo=dict(sample_idx=i))
                                                        for i in range(batch_size)])
    labels = [i % num_classes for i in range(batch_size)]
    return lambda: dict(inputs=list(images), data_samples=[DataSample().set_gt_label(label) for label in labels])


def time_family(family: Family, settings: Settings) -> Dict[str, dict]:
    """Training steps of one family: fp32 and ``--amp`` interleaved on one model (and, for
    :data:`DETERMINISM_FAMILIES`, fp32 with deterministic kernels afterwards): per variant the median step time,
    images/s, peak GPU memory and whether every loss was finite.

    Returns:
        dict[str, dict]: ``'fp32'``, ``'amp'`` (and ``'fp32_deterministic'``) -> their row; a variant that raised has
        ``error`` instead.
    """
    import torch.nn.functional as F

    from openmixosr.registry import MODELS
    from openmixosr.utils.benchmarking import Task, quiet_logger, time_interleaved
    device = torch.device(settings.device)
    cfg = check_config(family, settings, bench=True)
    batch_size = cfg.train_dataloader.batch_size
    torch.manual_seed(0)
    with quiet_logger():
        model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor.to_dict()))
        model.init_weights()
    model.to(device).train()
    if hasattr(model, 'init_memory'):  # AMix-C: what ClusterAssignmentHook does before training
        model.init_memory(batch_size)
        model.memory.copy_(F.normalize(torch.randn_like(model.memory), dim=1))
        model.assign_clusters(seed=0)
    data = _step_data(cfg, device, batch_size, cfg.data_preprocessor.get('num_classes') or 1)
    finite, peaks = {}, {}

    def task(variant: str, precision: str, deterministic: bool = False) -> Task:
        wrapper = _optim_wrapper(model, cfg, precision, settings)

        def prepare():
            if device.type == 'cuda':
                torch.cuda.reset_peak_memory_stats(device)
            return data()

        def run(batch) -> None:
            with _determinism(deterministic):
                losses = model.train_step(batch, wrapper)
            finite.setdefault(variant, []).append(
                all(bool(torch.isfinite(value).all()) for name, value in losses.items() if 'loss' in name))
            if hasattr(model, 'momentum_update'):  # MomentumPipelineHook's update (MoCo v2 updates inside its step)
                model.momentum_update(0.99)
            if device.type == 'cuda':  # a host-side counter: no synchronisation inside the timed call
                peaks[variant] = max(peaks.get(variant, 0.0), torch.cuda.max_memory_allocated(device) / 2**20)

        return Task(run=run, prepare=prepare)

    clock = synchronized_clock(device)
    medians = time_interleaved({precision: task(precision, precision) for precision in PRECISIONS}, settings.rounds,
                               settings.warmup, clock=clock).medians()
    if family.name in DETERMINISM_FAMILIES:
        try:
            medians.update(time_interleaved({'fp32_deterministic': task('fp32_deterministic', 'fp32', True)},
                                            settings.rounds, settings.warmup, clock=clock).medians())
        except RuntimeError as error:  # e.g. an op without a deterministic CUDA kernel
            medians['fp32_deterministic'] = error
    rows = {}
    for variant, seconds in medians.items():
        if isinstance(seconds, Exception):
            rows[variant] = dict(error=f'{type(seconds).__name__}: {str(seconds).splitlines()[0][:300]}')
            continue
        rows[variant] = dict(ms_per_step=1e3 * seconds, images_per_s=batch_size / seconds,
                             peak_memory_mb=peaks.get(variant), batch_size=batch_size,
                             image_size=cfg.train_dataloader.dataset.image_size, steps=len(finite[variant]),
                             losses_finite=all(finite[variant]))
    return rows


class _determinism:
    """Turn deterministic kernels on (or leave them off) for a block and put the process-wide switches back."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __enter__(self):
        self.saved = (torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.deterministic,
                      torch.backends.cudnn.benchmark)
        if self.enabled:
            os.environ.setdefault('CUBLAS_WORKSPACE_CONFIG', ':4096:8')
            torch.use_deterministic_algorithms(True)
            torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False

    def __exit__(self, *exc):
        torch.use_deterministic_algorithms(self.saved[0])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = self.saved[1:]
        return False


# ------------------------------------------------------------------------------------------------------------------
# 2. The tools
# ------------------------------------------------------------------------------------------------------------------
def _tool(name: str):
    """``tools/<name>.py`` as a module (its ``main(argv)``)."""
    spec = importlib.util.spec_from_file_location(f'gpu_check_{name}', TOOLS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _state_dict(path: str) -> dict:
    from openmixosr.engine import load_weights_only
    return load_weights_only(path)['state_dict']


def _difference(first: str, second: str) -> float:
    """The largest absolute difference between the entries of two checkpoints (0.0: identical)."""
    a, b = _state_dict(first), _state_dict(second)
    if a.keys() != b.keys():
        raise AssertionError(f'{first} and {second} hold different entries')
    return max((float((a[key].double() - b[key].double()).abs().max()) for key in a if a[key].numel()), default=0.0)


def run_tools(family: Family, precision: str, settings: Settings, out_dir: Path) -> dict:
    """Train 2 epochs, resume epoch 1 and train epoch 2 again (same weights?), test the result with the scores."""
    from openmixosr.evaluation.scores import score_configs
    run_dir = out_dir / 'runs' / f'{family.name}_{precision}'
    config = run_dir / 'config.py'
    run_dir.mkdir(parents=True, exist_ok=True)
    cfg = check_config(family, settings)
    cfg.dump(str(config))
    train, test = _tool('train'), _tool('test')
    options, extra_cfg = [], []
    if precision == 'amp':
        options = ['--amp'] + (['--amp-dtype', settings.amp_dtype] if settings.amp_dtype else [])
        if settings.device == 'cpu':
            extra_cfg = ['optim_wrapper.allow_emulated_bf16=True']  # the CPU check runs bf16 even where emulated
    result = dict(deterministic=True)

    def train_run(work_dir: Path, deterministic: bool, *resume) -> None:
        with _determinism(False):  # the run sets them; put the process-wide switches back afterwards
            train.main([str(config), '--work-dir', str(work_dir), '--no-validate', *options, *resume,
                        '--cfg-options', f'randomness.deterministic={deterministic}',
                        f'experiment_name={family.name}_{precision}_{work_dir.name}', *extra_cfg])

    start = time.perf_counter()
    try:
        train_run(run_dir / 'full', True)
    except RuntimeError as error:  # an op without a deterministic kernel: compare the resumed run with a tolerance
        if NONDETERMINISTIC not in str(error):
            raise
        result.update(deterministic=False, nondeterministic_op=str(error).split(' does not have')[0].split()[-1])
        train_run(run_dir / 'full', False)
    train_run(run_dir / 'resumed', result['deterministic'], '--resume', str(run_dir / 'full' / 'epoch_1.pth'))
    difference = _difference(str(run_dir / 'full' / 'epoch_2.pth'), str(run_dir / 'resumed' / 'epoch_2.pth'))
    result.update(resume_max_abs_diff=difference, resumed_identical=difference == 0.0)
    if cfg.get('test_dataloader'):
        scores = [name for name in score_configs() if name not in UNTRAINED_SCORES]
        if settings.tiny:
            scores.remove('knn')  # k = 50 > the tiny training set
        metrics = test.main([str(config), str(run_dir / 'resumed' / 'epoch_2.pth'), '--work-dir',
                             str(run_dir / 'test'), '--scores', *scores, '--cfg-options',
                             f'experiment_name={family.name}_{precision}_test'])
        metrics = {key: float(value) for key, value in metrics.items()}
        result.update(test_metrics=metrics, test_finite=all(math.isfinite(value) for value in metrics.values()))
        if any(item.get('type') == 'OpenSetEvaluator' for item in _evaluator_types(cfg.test_evaluator)):
            missing = [name for name in scores if not any(key.endswith(f'/{name}/auroc') for key in metrics)]
            result['scores_missing'] = missing
    result['seconds'] = time.perf_counter() - start
    return result


def resume_ok(result: dict, tolerance: float = 1e-3) -> bool:
    """Identical weights, or (a family without deterministic kernels) within ``tolerance``."""
    if result['deterministic']:
        return result['resumed_identical']
    return result['resume_max_abs_diff'] <= tolerance


# ------------------------------------------------------------------------------------------------------------------
# 3. Distributed launch
# ------------------------------------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def run_dist_train(family: Family, settings: Settings, out_dir: Path) -> dict:
    """``tools/dist_train.sh`` with 2 processes on a 2-GPU machine, else 1, at the recipe's total batch."""
    processes = 2 if settings.device == 'cuda' and torch.cuda.device_count() >= 2 else 1
    run_dir = out_dir / 'runs' / f'{family.name}_dist{processes}'
    run_dir.mkdir(parents=True, exist_ok=True)
    cfg = check_config(family, settings)
    per_process = cfg.train_dataloader.batch_size // processes
    cfg.dump(str(run_dir / 'config.py'))
    env = dict(os.environ, PORT=str(_free_port()), PYTHON=sys.executable,
               PYTHONPATH=os.pathsep.join([str(REPO_ROOT), str(TOOLS), os.environ.get('PYTHONPATH', '')]))
    if settings.device == 'cpu':
        env['CUDA_VISIBLE_DEVICES'] = ''
    if settings.tiny:
        env['OMP_NUM_THREADS'] = '1'
    start = time.perf_counter()
    child = subprocess.run(['bash', str(TOOLS / 'dist_train.sh'), str(run_dir / 'config.py'), str(processes),
                            '--work-dir', str(run_dir), '--no-validate', '--cfg-options', 'train_cfg.max_epochs=1',
                            f'train_dataloader.batch_size={per_process}'],
                           cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    log = child.stdout + child.stderr
    backend = 'nccl' if settings.device == 'cuda' else 'gloo'
    ok = child.returncode == 0 and (run_dir / 'epoch_1.pth').is_file()
    return dict(processes=processes, backend=backend, ok=ok, seconds=time.perf_counter() - start,
                total_batch=per_process * processes, log_tail=None if ok else log[-3000:])


# ------------------------------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------------------------------
def environment(settings: Settings) -> dict:
    from openmixosr.utils.cpu import describe_cpu
    info = dict(device=settings.device, tiny=settings.tiny, torch=torch.__version__, cpu=describe_cpu(),
                amp_dtype=settings.amp_dtype or ('float16' if settings.device == 'cuda' else 'bfloat16'))
    if settings.device == 'cuda':
        info.update(gpu=torch.cuda.get_device_name(), gpu_count=torch.cuda.device_count(), cuda=torch.version.cuda,
                    cudnn=torch.backends.cudnn.version(), bf16=torch.cuda.is_bf16_supported())
    return info


def _fmt(value, spec='.1f') -> str:
    return '-' if value is None else format(value, spec)


def markdown(report: dict) -> str:
    env = report['environment']
    lines = ['# GPU check', '',
             f"Device: {env.get('gpu', 'CPU')} ({env['device']}{', tiny settings' if env['tiny'] else ''}); torch "
             f"{env['torch']}" + (f", CUDA {env['cuda']}, cuDNN {env['cudnn']}" if 'cuda' in env else '') +
             f"; CPU {env['cpu']}; --amp = {env['amp_dtype']}. Total {report['seconds']:.0f} s.", '',
             f"**{'All checks passed' if not report['failures'] else 'FAILED: ' + '; '.join(report['failures'])}**",
             '', '## Training steps (synthetic batch on the device, median after warm-up)', '',
             '| family | precision | batch | px | ms / step | images / s | peak GPU MB | losses finite |',
             '|---|---|---|---|---|---|---|---|']
    for key, row in report['steps'].items():
        family, precision = key.split('/')
        if 'error' in row:
            lines.append(f'| {family} | {precision} | | | | | | ERROR: {row["error"]} |')
            continue
        lines.append(f"| {family} | {precision} | {row['batch_size']} | {row['image_size']} | "
                     f"{row['ms_per_step']:.1f} | {row['images_per_s']:.0f} | {_fmt(row['peak_memory_mb'], '.0f')} | "
                     f"{'yes' if row['losses_finite'] else 'NO'} ({row['steps']} steps) |")
    lines += ['', f'## Epoch-time ratios at Tiny-ImageNet size (anchor: AutoMix Table 9, {ANCHOR_RATIO:.2f}x; goal '
              f'<= {GOAL_RATIO}x; data loading not included)', '', '| ratio | fp32 | amp |', '|---|---|---|']
    for name, values in report['ratios'].items():
        lines.append(f"| {name} | {_fmt(values.get('fp32'), '.2f')} | {_fmt(values.get('amp'), '.2f')} |")
    lines += ['', '## Cost of `randomness.deterministic=True` (fp32 step time)', '',
              '| family | deterministic ms | default ms | ratio |', '|---|---|---|---|']
    for family, row in report['determinism'].items():
        if 'error' in row:
            lines.append(f"| {family} | {row['error']} | | |")
        else:
            lines.append(f"| {family} | {row['deterministic_ms']:.1f} | {row['default_ms']:.1f} | "
                         f"{row['ratio']:.2f} |")
    lines += ['', '## tools/train.py (2 epochs), --resume from epoch 1, tools/test.py --scores', '',
              '| family | precision | resumed weights | test | seconds |', '|---|---|---|---|---|']
    for key, row in report['tools'].items():
        family, precision = key.split('/')
        if 'error' in row:
            lines.append(f"| {family} | {precision} | ERROR: {row['error']} | | |")
            continue
        resumed = 'identical' if row['resumed_identical'] else f"max diff {row['resume_max_abs_diff']:.2e}"
        if not row['deterministic']:
            resumed += f" (no deterministic {row['nondeterministic_op']})"
        metrics = row.get('test_metrics')
        test = '-' if metrics is None else (f"{len(metrics)} metrics, finite" if row['test_finite'] else 'NON-FINITE')
        lines.append(f"| {family} | {precision} | {resumed} | {test} | {row['seconds']:.0f} |")
    dist = report['dist_train']
    lines += ['', '## tools/dist_train.sh', '', f"{dist['processes']} process(es), {dist['backend']}, total batch "
              f"{dist.get('total_batch')}: {'ok' if dist['ok'] else 'FAILED'} ({dist['seconds']:.0f} s)", '']
    return '\n'.join(lines)


def failures(report: dict) -> List[str]:
    problems = []
    for key, row in report['steps'].items():
        if 'error' in row or not row['losses_finite']:
            problems.append(f'steps {key}')
    for key, row in report['tools'].items():
        if 'error' in row or not resume_ok(row) or not row.get('test_finite', True) or row.get('scores_missing'):
            problems.append(f'tools {key}')
    if not report['dist_train']['ok']:
        problems.append('dist_train')
    return problems


# ------------------------------------------------------------------------------------------------------------------
# Entry point
# ------------------------------------------------------------------------------------------------------------------
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Check every model family on this machine\'s GPU (docs/gpu.md).')
    parser.add_argument('--device', choices=('cuda', 'cpu'), default='cuda')
    parser.add_argument('--tiny', action='store_true', help='tiny models and data (the CPU run of the test suite)')
    parser.add_argument('--amp-dtype', choices=('float16', 'bfloat16'), help='--amp on the GPU (default float16)')
    parser.add_argument('--families', nargs='+', choices=[family.name for family in FAMILIES],
                        help='check these families only (default: all)')
    parser.add_argument('--out-dir', default='work_dirs/gpu_check', help='where the report and the runs go')
    args = parser.parse_args(argv)
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: no GPU here (torch.cuda.is_available() is False); use --device cpu --tiny')
    if args.device == 'cpu' and args.amp_dtype == 'float16':
        parser.error('--amp-dtype float16 needs a GPU')
    return args


def _guarded(function, *args) -> dict:
    try:
        return function(*args)
    except Exception as error:  # a failed check is reported, and the others still run
        traceback.print_exc()
        return dict(error=f'{type(error).__name__}: {str(error).splitlines()[0][:300]}')


def main(argv=None) -> dict:
    args = parse_args(argv)
    settings = Settings.make(args.device, args.tiny, args.amp_dtype)
    if settings.tiny:
        torch.set_num_threads(1)  # tiny ops: threads cost more than they give, and a busy machine makes them spin
    sys.path.insert(0, str(TOOLS))  # gpu_check_data, which the derived configs import
    from openmixosr.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    import gpu_check_data  # noqa: F401  (registers GPUCheckImages)
    gc.freeze()  # the modules and registries loaded so far live to the end: the timing harness's collections skip them
    families = [family for family in FAMILIES if not args.families or family.name in args.families]
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    report = dict(environment=environment(settings), settings=asdict(settings), steps={}, tools={}, determinism={})
    for family in families:
        print(f'[gpu_check] steps {family.name}', flush=True)
        rows = _guarded(time_family, family, settings)
        if settings.device == 'cuda':
            torch.cuda.empty_cache()  # the family's model is gone: give its cached blocks back before the next one
        if 'error' in rows:  # the family could not be built or stepped at all
            rows = {variant: rows for variant in (*PRECISIONS, 'fp32_deterministic')}
        for precision in PRECISIONS:
            report['steps'][f'{family.name}/{precision}'] = rows[precision]
        if family.name in DETERMINISM_FAMILIES:
            timed, default = rows['fp32_deterministic'], rows['fp32']
            report['determinism'][family.name] = timed if 'error' in timed or 'error' in default else dict(
                deterministic_ms=timed['ms_per_step'], default_ms=default['ms_per_step'],
                ratio=timed['ms_per_step'] / default['ms_per_step'])
    report['ratios'] = {name: {} for name in RATIOS}
    for name, (numerator, denominator) in RATIOS.items():
        for precision in PRECISIONS:
            top, bottom = (report['steps'].get(f'{key}/{precision}', {}) for key in (numerator, denominator))
            if 'ms_per_step' in top and 'ms_per_step' in bottom:
                report['ratios'][name][precision] = top['ms_per_step'] / bottom['ms_per_step']
    for family in families:
        for precision in PRECISIONS:
            if settings.runs_tools(family, precision):
                print(f'[gpu_check] tools {family.name} {precision}', flush=True)
                report['tools'][f'{family.name}/{precision}'] = _guarded(run_tools, family, precision, settings,
                                                                         out_dir)
    print('[gpu_check] dist_train.sh', flush=True)
    report['dist_train'] = run_dist_train(families[0], settings, out_dir)
    report['seconds'] = time.perf_counter() - start
    report['failures'] = failures(report)
    (out_dir / 'gpu_check.json').write_text(json.dumps(report, indent=2))
    (out_dir / 'gpu_check.md').write_text(markdown(report))
    print(markdown(report))
    return report


if __name__ == '__main__':
    sys.exit(1 if main()['failures'] else 0)
