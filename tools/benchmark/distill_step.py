"""Time a training step of AsymmetricDistiller against symmetric CutMix + DIST distillation, with the floor.

    python tools/benchmark/distill_step.py [--rounds 20] [--warmup 3] [--batch-size 32] [--threads 2] [--quick]

Models: the configs' CIFAR ResNet-50 teacher (frozen, eval mode) and ResNet-18 student, 32x32 inputs, batch 32,
6 classes, SGD through MMEngine's ``OptimWrapper``; the data are random (the cost of a step does not depend on them).
Timed, interleaved round-robin in one process, median over the rounds:

- ``symmetric``: CutMix + DIST on every step (``p_mix=1``, no CMI, no relabel, mixup CE): its mixed step.
- ``asym raw`` / ``asym mixed``: the two kinds of step of the asymmetric method. ``asym (p_mix=0.5)`` is their mean,
  the expected step.

Floor: the passes each model declares for the step kind (``step_passes()``,
:mod:`openmixosr.models.utils.step_passes`), priced by primitives measured in the same rounds: ``T(N)`` teacher
forward on N under ``no_grad``, ``S`` student forward + backward (cross-entropy) + optimizer step; floor = teacher
forwards x ``T(N)`` + ``S``. The goal: measured / floor <= 1.1 for the asymmetric step. (``T(2N)``, one pass over
2N images, is printed too, to compare with two passes over N: the reason the teacher runs twice rather than once on
the concatenation.)
"""
import argparse
import copy
import os.path as osp

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from openmixosr.models.utils.step_passes import NetworkPasses, StepPasses, step_passes_of
from openmixosr.registry import MODELS
from openmixosr.utils import register_all_modules
from openmixosr.utils.benchmarking import time_interleaved

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--quick', action='store_true', help='tiny settings for a smoke run')
    return parser.parse_args(argv)


def build_distiller(quick: bool, **overrides):
    """The distiller of configs/asym/r18_cifar10.py with a random teacher (and width 8 with --quick)."""
    cfg = Config.fromfile(osp.join(REPO, 'configs/asym/r18_cifar10.py'))
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.update(teacher_checkpoint=None, data_preprocessor=dict(type='OpenSetDataPreprocessor'), **overrides)
    if quick:
        for part, depth_factor in (('student', 1), ('teacher', 4)):
            model_cfg[part]['backbone'].update(stem_channels=8, base_channels=8)
            model_cfg[part]['head']['in_channels'] = 64 * depth_factor
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    return model.train()


def floor_ms(passes: StepPasses, teacher_ms: float, student_ms: float) -> float:
    """Floor of a step: the declared teacher forwards (no graph) priced ``T(N)`` each, plus one student step ``S``.

    Raises:
        ValueError: The declared step is not one that these two primitives price.
    """
    teacher, student = passes.networks['teacher'], passes.networks['student']
    if teacher != NetworkPasses(forwards_no_graph=teacher.forwards_no_graph) or \
            (student.forwards, student.backwards, passes.optimizer_steps) != (1, 1, 1):
        raise ValueError(f'T(N) and S do not price the step {passes.describe()}')
    return teacher.forwards_no_graph * teacher_ms + student_ms


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1 if args.quick else args.threads)
    register_all_modules()
    batch, size = (4, 16) if args.quick else (args.batch_size, 32)
    rounds, warmup = (1, 1) if args.quick else (args.rounds, args.warmup)
    inputs = torch.randn(batch, 3, size, size)
    labels = torch.arange(batch) % 6
    data = dict(inputs=inputs, data_samples=[DataSample().set_gt_label(int(y)) for y in labels])

    symmetric = build_distiller(args.quick, p_mix=1.0, cmi_loss=None, relabel_loss=None, mixed_ce_weight=1.0)
    asym = build_distiller(args.quick)
    wrappers = {name: OptimWrapper(torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01,
                                                   momentum=0.9))
                for name, model in (('symmetric', symmetric), ('asym', asym))}

    def step(model, wrapper, mixed):
        model.p_mix = 1.0 if mixed else 0.0
        model.train_step(copy.copy(data), wrapper)

    def student_step():
        logits = asym.extract_logits(inputs)  # the student's
        wrappers['asym'].update_params(F.cross_entropy(logits, labels))

    def teacher_forward(n_copies):
        with torch.no_grad():
            asym.teacher(torch.cat([inputs] * n_copies), mode='tensor')

    tasks = {
        'symmetric': lambda: step(symmetric, wrappers['symmetric'], True),
        'asym raw': lambda: step(asym, wrappers['asym'], False),
        'asym mixed': lambda: step(asym, wrappers['asym'], True),
        'T(N)': lambda: teacher_forward(1),
        'T(2N)': lambda: teacher_forward(2),
        'S': student_step,
    }
    np.random.seed(0)
    median = {name: 1000 * seconds for name, seconds in time_interleaved(tasks, rounds, warmup).medians().items()}
    passes = {'symmetric': step_passes_of(symmetric)['mixed'], 'asym raw': step_passes_of(asym)['raw'],
              'asym mixed': step_passes_of(asym)['mixed']}
    floors = {name: floor_ms(step, median['T(N)'], median['S']) for name, step in passes.items()}
    median['asym (p_mix=0.5)'] = (median['asym raw'] + median['asym mixed']) / 2
    floors['asym (p_mix=0.5)'] = (floors['asym raw'] + floors['asym mixed']) / 2

    print(f'batch {batch}, {size}x{size}, {torch.get_num_threads()} threads, median of {rounds} interleaved rounds')
    print(f'primitives: T(N) {median["T(N)"]:.1f} ms, T(2N) {median["T(2N)"]:.1f} ms, S {median["S"]:.1f} ms')
    print(f'{"step":<18} {"ms":>8} {"floor ms":>9} {"measured/floor":>15} {"/ symmetric":>12}')
    for name in ('symmetric', 'asym raw', 'asym mixed', 'asym (p_mix=0.5)'):
        print(f'{name:<18} {median[name]:8.1f} {floors[name]:9.1f} {median[name] / floors[name]:15.3f} '
              f'{median[name] / median["symmetric"]:12.3f}')
    for name, step in passes.items():
        print(f'passes, {name}: {step.describe()}')
    ratio = median['asym (p_mix=0.5)'] / floors['asym (p_mix=0.5)']
    print(f'asymmetric measured/floor = {ratio:.3f} (goal <= 1.1: {"met" if ratio <= 1.1 else "NOT met"})')
    return median, floors


if __name__ == '__main__':
    main()
