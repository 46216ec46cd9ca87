"""Time one pre-training step of MoCo v2, AMix-I and AMix-C side by side, with the pass-count expectation.

Usage::

    python tools/benchmark/selfsup_step.py [--rounds 20] [--warmup 3] [--batch-size 64] [--image-size 32] \\
        [--width 64] [--threads 2] [--quick]

**What is timed.** ``model.train_step(data, optim_wrapper)`` on two random views already on hand (normalisation,
forward, backward, SGD step of MMEngine's ``OptimWrapper``), plus the momentum update ``MomentumPipelineHook`` runs
after an AMix step (MoCo updates its key encoder inside its own step). The models are built through the registry
from ``configs/_base_/models/{mocov2,amix_i_mocov2,amix_c_mocov2}_resnet18_cifar.py`` (queue 4096, K = 10 clusters
for AMix-C with random pseudo labels). All three run interleaved in one process (round-robin after the warm-up
rounds) and the median is reported, so that a change of machine load hits all of them alike.

**Passes per step** come from the models (``step_passes()``, :mod:`openmixosr.models.utils.step_passes`; MoCo v2 is
mmpretrain's ``MoCo``, declared here): the "pass ratio" column is the cost of the encoder passes (q and k) in
forward-equivalents (a backward = 2 forwards, a backward to the input only = 1, k's forward up to ``layer3`` = 3/4;
the Mix Block+ and AMix-C's [N, D] x [D, K] product are not counted) over MoCo v2's.
"""
import argparse
from pathlib import Path
from typing import Dict, List, Optional

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

from openmixosr.models.algorithms import MomentumMixMixin
from openmixosr.models.utils.step_passes import SINGLE_STEP, NetworkPasses, StepPasses, step_passes_of
from openmixosr.utils.benchmarking import Task, quiet_logger, time_interleaved
from openmixosr.utils.tool_errors import run_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = REPO_ROOT / 'configs' / '_base_' / 'models'
CONFIGS = {
    'mocov2': 'mocov2_resnet18_cifar.py',
    'amix_i': 'amix_i_mocov2_resnet18_cifar.py',
    'amix_c': 'amix_c_mocov2_resnet18_cifar.py',
}
NAMES = {'mocov2': 'MoCo v2', 'amix_i': 'AMix-I', 'amix_c': 'AMix-C'}
FULL_WIDTH = 64
#: mmpretrain's ``MoCo`` declares no ``step_passes``: k 1F without graph, q 1F + 1B, the EMA update inside the step.
MOCO_V2_PASSES = StepPasses(networks=dict(online=NetworkPasses(forwards=1, backwards=1),
                                          momentum=NetworkPasses(forwards_no_graph=1)),
                            momentum_updates=1)
#: The encoder networks whose passes the pass ratio counts, and k's forward up to ``layer3`` in full forwards.
ENCODERS = ('online', 'momentum')
PARTIAL_FORWARD = 0.75


def build(method: str, args) -> tuple:
    """The method's model (registry, initialised, training mode) and an SGD ``OptimWrapper``."""
    from openmixosr.registry import MODELS
    cfg = Config.fromfile(str(MODELS_DIR / CONFIGS[method])).model
    cfg.queue_len = 4096
    cfg.data_preprocessor = dict(type='SelfSupDataPreprocessor', mean=[128.0] * 3, std=[64.0] * 3)
    if args.width != FULL_WIDTH:
        cfg.backbone.update(stem_channels=args.width, base_channels=args.width)
        cfg.neck.update(in_channels=8 * args.width, hid_channels=8 * args.width)
        if 'mix_block' in cfg.get('mixer', {}):
            cfg.mixer.mix_block.in_channels = 4 * args.width
    if method == 'amix_c':
        cfg.num_clusters = 10
    torch.manual_seed(0)
    with quiet_logger():
        model = MODELS.build(cfg)
        model.init_weights()
    if method == 'amix_c':
        model.init_memory(args.batch_size)
        model.pseudo_labels = torch.arange(args.batch_size) % 10
    optim_wrapper = build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)))
    return model.train(), optim_wrapper


def step_task(model, optim_wrapper, args) -> Task:
    """One timed pre-training step (and the hook's momentum update for AMix) on two fixed random views."""
    generator = torch.Generator().manual_seed(1)
    shape = (args.batch_size, 3, args.image_size, args.image_size)
    views = [torch.randint(0, 256, shape, generator=generator).float() for _ in range(2)]

    def prepare() -> dict:
        return dict(inputs=views, data_samples=[DataSample(metainfo=dict(sample_idx=i))
                                                for i in range(args.batch_size)])

    def run(data: dict) -> None:
        model.train_step(data, optim_wrapper)
        if isinstance(model, MomentumMixMixin):  # MoCo v2 updates k inside its step
            model.momentum_update(0.999)

    return Task(run=run, prepare=prepare)


def pass_ratios(passes: Dict[str, StepPasses]) -> Dict[str, float]:
    """Method -> the cost of its encoder passes over MoCo v2's."""
    costs = {method: step.forward_equivalents(ENCODERS, PARTIAL_FORWARD) for method, step in passes.items()}
    return {method: cost / costs['mocov2'] for method, cost in costs.items()}


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                     description='Time MoCo v2, AMix-I and AMix-C pre-training steps')
    parser.add_argument('--rounds', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--image-size', type=int, default=32)
    parser.add_argument('--width', type=int, default=FULL_WIDTH, help='ResNet-18 stem width (64 = full)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--quick', action='store_true', help='tiny smoke run: batch 8, 16x16, width 8, 1+1 rounds')
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.warmup, args.batch_size, args.image_size, args.width, args.threads = 1, 1, 8, 16, 8, 1
    return args


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    from openmixosr.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    torch.set_num_threads(args.threads)
    built = {method: build(method, args) for method in CONFIGS}
    passes = {method: MOCO_V2_PASSES if method == 'mocov2' else step_passes_of(model)[SINGLE_STEP]
              for method, (model, _) in built.items()}
    ratios = pass_ratios(passes)
    tasks = {method: step_task(model, optim_wrapper, args) for method, (model, optim_wrapper) in built.items()}
    medians = time_interleaved(tasks, args.rounds, args.warmup).medians()
    base = medians['mocov2']
    lines = [f'Pre-training step, CIFAR ResNet-18 width {args.width}, batch {args.batch_size}, '
             f'{args.image_size}x{args.image_size}, {args.threads} threads, '
             f'median of {args.rounds} interleaved rounds',
             '| method | ms / step | / MoCo v2 | pass ratio | measured / pass ratio |',
             '| --- | --- | --- | --- | --- |']
    for method in CONFIGS:
        ms, ratio = 1000 * medians[method], medians[method] / base
        lines.append(f'| {NAMES[method]} | {ms:.0f} | {ratio:.2f} | {ratios[method]:.2f} | '
                     f'{ratio / ratios[method]:.2f} |')
    table = '\n'.join(lines)
    print(table)
    for method, step in passes.items():
        print(f'passes per step, {NAMES[method]}: {step.describe()}')
    return table


if __name__ == '__main__':
    run_tool(main)
