"""Time the training steps of AsymmetricDistiller (CutMix or learned masks) against symmetric CutMix + DIST, with
each step's floor and peak memory.

    python tools/benchmark/distill_step.py [--rounds 20] [--warmup 3] [--batch-size 32] [--threads 2] \\
        [--memory subprocess|inprocess|off] [--quick]

Models: the configs' CIFAR ResNet-50 teacher (frozen, eval mode) and ResNet-18 student (configs/asym/r18_cifar10.py),
32x32 inputs, batch 32, 6 classes, SGD through MMEngine's ``OptimWrapper``; the data are random (the cost of a step
does not depend on them). Steps (``model.train_step`` with ``p_mix`` 0 or 1, fresh data samples made untimed):

- ``symmetric``: CutMix + DIST on every step (``p_mix=1``, no CMI, no relabel, mixup CE): its mixed step.
- ``asym raw`` / ``asym mixed``: the two kinds of step of the asymmetric method with CutMix (the paper).
- ``learned mixed`` / ``learned mixed (indep.)``: its mixed step with a learned mixer (``LearnedMaskMixer`` with
  AutoMix's Mix Block on the teacher's stage 3, configs/_base_/mixers/learned_masks.py), the Mix Block trained through
  the frozen teacher; the student learns from the same draw, detached (``learned_student_draw='same'``, the default)
  or from a second draw (``'independent'``, AutoMix's choice: one more teacher pass).
- ``asym (p_mix=0.5)`` / ``learned (p_mix=0.5)``: the expected step, the mean of the raw step (the same with either
  mixer) and the mixed step.

All steps and primitives run interleaved round-robin in one process (untimed warm-up rounds first) and the median over
the rounds is reported, so that a change of machine load hits them alike.

**Floor.** The passes each model declares for the step kind (``step_passes()``,
:mod:`openmixosr.models.utils.step_passes`), each priced by a primitive timed in the same rounds:

- ``T(N)``: teacher forward on the N images under ``no_grad`` (also the pass that captures the stage-3 features);
- ``T(N)+B(input)``: teacher forward with graph + backward to its input only (the Mix Block's generation loss through
  the frozen teacher);
- ``T(N, layer3)``: the teacher's backbone up to the mix layer under ``no_grad`` (timed only when a step declares it:
  a learned mixer's features when no loss needs ``T(x)``);
- ``M``: one trained draw of the learned mixer on the teacher's features (the Mix Block's mask, the mixing), the mask
  loss, the backward from the mixed images into the Mix Block and its SGD update; ``M(no graph)``: one draw under
  ``no_grad`` (the independent draw);
- ``S``: student forward + backward (cross-entropy) + optimizer step.

The goal: measured / floor <= 1.1 for the asymmetric step and for the learned-mask mixed step. ``T(2N)``, one pass
over 2N images, is printed too, to compare with two passes over N: the reason the teacher runs twice rather than once
on the concatenation.

**Peak memory** (harness :mod:`openmixosr.utils.benchmarking`): with ``--memory subprocess`` (default) each step runs
in a fresh process (:func:`~openmixosr.utils.benchmarking.run_in_fresh_process`) that builds its model, fixes glibc's
mmap threshold (:func:`~openmixosr.utils.benchmarking.unpooled_malloc`: the resident set follows the live tensors),
runs warm-up steps and measures how far one step raises the resident set
(:func:`~openmixosr.utils.benchmarking.rss_rise_mb`): ``step MB`` (activations, gradients, temporaries); ``proc MB`` is
that process's whole peak (interpreter, libraries, both networks and the optimizer state included). ``inprocess``
(``--quick``'s default) measures ``step MB`` in this process after the timing; ``off`` skips it.
"""
import argparse
import copy
import math
import os.path as osp
import warnings
from typing import Dict, Optional

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmpretrain.structures import DataSample

from openmixosr.models.utils.step_passes import NetworkPasses, StepPasses, step_passes_of
from openmixosr.models.utils.truncated_forward import forward_until
from openmixosr.registry import MODELS
from openmixosr.utils import register_all_modules
from openmixosr.utils.benchmarking import (Task, quiet_logger, rss_rise_mb, run_in_fresh_process, time_interleaved,
                                          unpooled_malloc)
from openmixosr.utils.cpu import describe_cpu
from openmixosr.utils.tool_errors import run_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
NUM_CLASSES = 6
GOAL_OVER_FLOOR = 1.1
#: The learned mixer of the benchmark: AutoMix's Mix Block on the teacher's stage 3 (the default to try).
LEARNED_MIXER = ('configs/_base_/mixers/learned_masks.py', 'automix_mask_mixer_r50')
#: Model name -> the distiller's settings that differ from configs/asym/r18_cifar10.py (``'mixer'``: the learned one).
MODEL_SETTINGS = {
    'symmetric': dict(p_mix=1.0, cmi_loss=None, relabel_loss=None, mixed_ce_weight=1.0),
    'asym': dict(),
    'learned': dict(mixer='learned'),
    'learned indep.': dict(mixer='learned', learned_student_draw='independent'),
}
#: Step row -> (model name, step kind).
STEPS = {
    'symmetric': ('symmetric', 'mixed'),
    'asym raw': ('asym', 'raw'),
    'asym mixed': ('asym', 'mixed'),
    'learned mixed': ('learned', 'mixed'),
    'learned mixed (indep.)': ('learned indep.', 'mixed'),
}
#: Expected steps at p_mix = 0.5: row -> (raw step, mixed step).
EXPECTED_STEPS = {'asym (p_mix=0.5)': ('asym raw', 'asym mixed'),
                  'learned (p_mix=0.5)': ('asym raw', 'learned mixed')}
CUTMIX_MIXED = 'asym mixed'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                     description='Time the asymmetric distiller steps (CutMix, learned masks) '
                                                 'against their floors and symmetric CutMix + DIST.')
    parser.add_argument('--rounds', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--memory', choices=('subprocess', 'inprocess', 'off'),
                        help='how to measure peak memory (default subprocess; quick inprocess)')
    parser.add_argument('--quick', action='store_true', help='tiny settings for a smoke run')
    args = parser.parse_args(argv)
    if args.memory is None:
        args.memory = 'inprocess' if args.quick else 'subprocess'
    return args


# ----------------------------------------------------------------------------------------------------------------
# Models and their steps
# ----------------------------------------------------------------------------------------------------------------
def learned_mixer_config() -> dict:
    """The benchmark's learned mixer config (:data:`LEARNED_MIXER`), without the config-merge key."""
    path, name = LEARNED_MIXER
    mixer = copy.deepcopy(Config.fromfile(osp.join(REPO, path))[name]).to_dict()
    mixer.pop('_delete_', None)
    return mixer


def build_distiller(quick: bool, **overrides):
    """The distiller of configs/asym/r18_cifar10.py with a random teacher (and width 8 with --quick).

    Args:
        quick (bool): Width 8 instead of 64.
        **overrides: Distiller arguments; ``mixer='learned'`` stands for :func:`learned_mixer_config`.
    """
    cfg = Config.fromfile(osp.join(REPO, 'configs/asym/r18_cifar10.py'))
    model_cfg = copy.deepcopy(cfg.model)
    if overrides.get('mixer') == 'learned':
        overrides['mixer'] = learned_mixer_config()
    model_cfg.update(teacher_checkpoint=None, data_preprocessor=dict(type='OpenSetDataPreprocessor'), **overrides)
    for part in ('student', 'teacher'):
        model_cfg[part]['head']['num_classes'] = NUM_CLASSES
    if quick:
        for part, depth_factor in (('student', 1), ('teacher', 4)):
            model_cfg[part]['backbone'].update(stem_channels=8, base_channels=8)
            model_cfg[part]['head']['in_channels'] = 64 * depth_factor
    if 'mix_block' in model_cfg.mixer:  # stage 3 of a ResNet has half the channels of stage 4
        model_cfg.mixer.mix_block.in_channels = model_cfg.teacher.head.in_channels // 2
    torch.manual_seed(0)
    with quiet_logger(), warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='.*no teacher_checkpoint')  # random weights time as well
        model = MODELS.build(model_cfg)
        model.init_weights()
    return model.train()


def make_batch(batch_size: int, size: int):
    generator = torch.Generator().manual_seed(0)
    return torch.randn(batch_size, 3, size, size, generator=generator), torch.arange(batch_size) % NUM_CLASSES


def make_data(inputs: torch.Tensor, labels: torch.Tensor) -> dict:
    """Fresh data samples for one step (the data preprocessor writes into them)."""
    return dict(inputs=inputs, data_samples=[DataSample().set_gt_label(int(label)) for label in labels])


class DistillStep:
    """One kind of step of one distiller: :meth:`run` is a ``train_step`` with ``p_mix`` 0 (raw) or 1 (mixed).

    Args:
        model (AsymmetricDistiller): The distiller (shared by its raw and mixed steps).
        optim_wrapper (OptimWrapper): SGD over its trainable parameters (student, and a trained Mix Block).
        kind (str): ``'raw'`` or ``'mixed'``.
        inputs (Tensor): The batch [N, 3, H, W].
        labels (LongTensor): Its labels [N].
    """

    def __init__(self, model, optim_wrapper: OptimWrapper, kind: str, inputs: torch.Tensor, labels: torch.Tensor):
        self.model = model
        self.optim_wrapper = optim_wrapper
        self.kind = kind
        self.inputs = inputs
        self.labels = labels

    @property
    def passes(self) -> StepPasses:
        return step_passes_of(self.model)[self.kind]

    def run(self, data: dict) -> None:
        self.model.p_mix = 1.0 if self.kind == 'mixed' else 0.0
        self.model.train_step(data, self.optim_wrapper)

    def task(self) -> Task:
        return Task(run=self.run, prepare=lambda: make_data(self.inputs, self.labels))


def build_steps(names, quick: bool, inputs: torch.Tensor, labels: torch.Tensor) -> Dict[str, DistillStep]:
    """Step row -> :class:`DistillStep`; the steps of one model share it and its optimizer."""
    models = {}
    steps = {}
    for name in names:
        model_name, kind = STEPS[name]
        if model_name not in models:
            model = build_distiller(quick, **MODEL_SETTINGS[model_name])
            trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
            models[model_name] = (model, OptimWrapper(torch.optim.SGD(trainable, lr=0.01, momentum=0.9)))
        steps[name] = DistillStep(*models[model_name], kind, inputs, labels)
    return steps


# ----------------------------------------------------------------------------------------------------------------
# Primitives and floors
# ----------------------------------------------------------------------------------------------------------------
class Primitives:
    """The passes the steps are made of, each timed on its own (see the module docstring).

    Args:
        asym (DistillStep): A step of the CutMix distiller: its teacher and student (and optimizer) are timed.
        learned (DistillStep): A step of the learned-mask distiller: a copy of its mixer is timed.
        with_partial (bool): Also time ``T(N, layer3)``.
    """

    def __init__(self, asym: DistillStep, learned: DistillStep, with_partial: bool):
        self.teacher, self.student_model = asym.model.teacher, asym.model
        self.optim_wrapper = asym.optim_wrapper
        self.inputs, self.labels = asym.inputs, asym.labels
        self.mixer = copy.deepcopy(learned.model.mixer).train()
        self.mixer_wrapper = OptimWrapper(torch.optim.SGD(self.mixer.parameters(), lr=0.01, momentum=0.9))
        with torch.no_grad():
            self.features = forward_until(self.teacher.backbone, self.inputs, self.mixer.mix_layer)
        self.image_grad = torch.randn_like(self.inputs)
        self.with_partial = with_partial

    def teacher_forward(self, n_copies: int) -> None:
        with torch.no_grad():
            self.teacher(torch.cat([self.inputs] * n_copies), mode='tensor')

    def teacher_input_backward(self, inputs: torch.Tensor) -> None:
        F.cross_entropy(self.teacher(inputs, mode='tensor'), self.labels).backward()

    def teacher_partial_forward(self) -> None:
        with torch.no_grad():
            forward_until(self.teacher.backbone, self.inputs, self.mixer.mix_layer)

    def mix_block_trained(self) -> None:
        mixed = self.mixer(self.inputs, features=self.features)
        mask_loss = self.mixer.mix_block.mask_loss(mixed.generation['raw_mask'], mixed.generation['drawn_lam'])
        self.mixer_wrapper.update_params((mixed.inputs * self.image_grad).sum() + mask_loss)

    def mix_block_drawn(self) -> None:
        with torch.no_grad():
            self.mixer(self.inputs, features=self.features)

    def student_step(self) -> None:
        logits = self.student_model.extract_logits(self.inputs)
        self.optim_wrapper.update_params(F.cross_entropy(logits, self.labels))

    def tasks(self) -> Dict[str, object]:
        tasks = {
            'T(N)': lambda: self.teacher_forward(1),
            'T(2N)': lambda: self.teacher_forward(2),
            'T(N)+B(input)': Task(run=self.teacher_input_backward,
                                  prepare=lambda: self.inputs.detach().clone().requires_grad_(True)),
            'M': self.mix_block_trained,
            'M(no graph)': self.mix_block_drawn,
            'S': self.student_step,
        }
        if self.with_partial:
            tasks['T(N, layer3)'] = self.teacher_partial_forward
        return tasks


PRIMITIVE_LABELS = {
    'T(N)': 'teacher forward, no_grad',
    'T(2N)': 'teacher forward on 2N, no_grad',
    'T(N)+B(input)': 'teacher forward + backward to the input',
    'T(N, layer3)': 'teacher backbone up to the mix layer, no_grad',
    'M': 'learned mixer: draw + mask loss + backward + SGD',
    'M(no graph)': 'learned mixer: draw, no_grad',
    'S': 'student forward + backward + optimizer step',
}


def floor_ms(passes: StepPasses, primitives: Dict[str, float]) -> float:
    """Floor of a step: each declared pass priced by its primitive (see the module docstring).

    Args:
        passes (StepPasses): The declared step.
        primitives (dict[str, float]): Primitive name -> median ms.

    Raises:
        ValueError: A declared pass that no primitive prices, or a primitive that was not timed.
    """
    teacher, student = passes.networks['teacher'], passes.networks['student']
    mix_block = passes.networks.get('mix_block', NetworkPasses())
    priced = (set(passes.networks) <= {'teacher', 'student', 'mix_block'} and
              student == NetworkPasses(forwards=1, backwards=1) and passes.optimizer_steps == 1 and
              not passes.momentum_updates and not teacher.backwards and teacher.forwards == teacher.input_backwards
              and mix_block == NetworkPasses(forwards=mix_block.forwards, backwards=mix_block.forwards,
                                             forwards_no_graph=mix_block.forwards_no_graph))
    if not priced:
        raise ValueError(f'the primitives do not price the step {passes.describe()}')
    counts = {'T(N)': teacher.forwards_no_graph, 'T(N)+B(input)': teacher.input_backwards,
              'T(N, layer3)': teacher.partial_forwards_no_graph, 'M': mix_block.backwards,
              'M(no graph)': mix_block.forwards_no_graph, 'S': 1}
    missing = [name for name, count in counts.items() if count and name not in primitives]
    if missing:
        raise ValueError(f'primitives {missing} were not timed for the step {passes.describe()}')
    return sum(count * primitives[name] for name, count in counts.items() if count)


# ----------------------------------------------------------------------------------------------------------------
# Memory
# ----------------------------------------------------------------------------------------------------------------
def measure_step_mb(step: DistillStep, warmup: int) -> float:
    """How far one step raises the resident set (MiB) after ``warmup`` steps (glibc's pools kept out)."""
    with unpooled_malloc():
        for _ in range(max(warmup, 1)):
            step.run(make_data(step.inputs, step.labels))
        data = make_data(step.inputs, step.labels)
        return rss_rise_mb(lambda: step.run(data))


def memory_worker(step: str, quick: bool, batch_size: int, threads: int, warmup: int) -> Dict[str, float]:
    """Fresh-process body of ``--memory subprocess``: build the step's model alone and measure one step."""
    torch.set_num_threads(threads)
    register_all_modules()
    np.random.seed(0)
    inputs, labels = make_batch(batch_size, 16 if quick else 32)
    built = build_steps([step], quick, inputs, labels)[step]
    return dict(step=measure_step_mb(built, warmup))


def measure_memory(steps: Dict[str, DistillStep], mode: str, quick: bool, batch_size: int,
                   warmup: int) -> Dict[str, Dict[str, float]]:
    """Step row -> ``{'step': MiB, 'process': MiB}`` (``process`` with ``mode='subprocess'`` only; ``{}`` with
    ``'off'``)."""
    if mode == 'off':
        return {}
    if mode == 'inprocess':
        return {name: dict(step=measure_step_mb(step, warmup)) for name, step in steps.items()}
    memory = {}
    for name in steps:
        run = run_in_fresh_process(__file__, 'memory_worker', step=name, quick=quick, batch_size=batch_size,
                                   threads=torch.get_num_threads(), warmup=warmup)
        memory[name] = dict(run.result, process=run.peak_rss_mb)
    return memory


# ----------------------------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------------------------
def _fmt(value: Optional[float], spec: str, width: int) -> str:
    return f'{"-":>{width}}' if value is None or math.isnan(value) else f'{value:{width}{spec}}'


def report(median: Dict[str, float], floors: Dict[str, float], passes: Dict[str, StepPasses],
           memory: Dict[str, Dict[str, float]]) -> None:
    print('primitives (median ms): ' + ', '.join(f'{name} {median[name]:.1f}' for name in PRIMITIVE_LABELS
                                                if name in median))
    for name, label in PRIMITIVE_LABELS.items():
        if name in median:
            print(f'  {name:<14} {label}')
    header = (f'{"step":<23} {"ms":>8} {"floor ms":>9} {"meas/floor":>10} {"/ symmetric":>11} {"/ CutMix mixed":>14} '
              f'{"step MB":>8} {"proc MB":>8}')
    print(header + '\n' + '-' * len(header))
    for name in list(STEPS) + list(EXPECTED_STEPS):
        mem = memory.get(name, {})
        print(f'{name:<23} {median[name]:8.1f} {floors[name]:9.1f} {median[name] / floors[name]:10.3f} '
              f'{median[name] / median["symmetric"]:11.3f} {median[name] / median[CUTMIX_MIXED]:14.3f} '
              f'{_fmt(mem.get("step"), ".1f", 8)} {_fmt(mem.get("process"), ".1f", 8)}')
    for name, step in passes.items():
        print(f'passes, {name}: {step.describe()}')
    for name in ('asym (p_mix=0.5)', 'learned mixed', 'learned mixed (indep.)'):
        ratio = median[name] / floors[name]
        print(f'{name}: measured/floor = {ratio:.3f} (goal <= {GOAL_OVER_FLOOR}: '
              f'{"met" if ratio <= GOAL_OVER_FLOOR else "NOT met"})')
    for name in ('learned mixed', 'learned mixed (indep.)'):
        ratios = {kind: memory[name][kind] / memory[CUTMIX_MIXED][kind] for kind in ('step', 'process')
                  if kind in memory.get(name, {})}
        print(f'{name} / CutMix mixed step: time {median[name] / median[CUTMIX_MIXED]:.3f}x' +
              ''.join(f', {kind} MB {ratio:.3f}x' for kind, ratio in ratios.items()))
    learned, asym = median['learned (p_mix=0.5)'], median['asym (p_mix=0.5)']
    print(f'expected step (p_mix=0.5), learned masks / CutMix: {learned / asym:.3f}x')


def main(argv=None):
    args = parse_args(argv)
    threads = torch.get_num_threads()
    torch.set_num_threads(1 if args.quick else args.threads)
    try:
        return run(args)
    finally:
        torch.set_num_threads(threads)


def run(args):
    register_all_modules()
    batch, size = (4, 16) if args.quick else (args.batch_size, 32)
    rounds, warmup = (1, 1) if args.quick else (args.rounds, args.warmup)
    np.random.seed(0)
    inputs, labels = make_batch(batch, size)
    steps = build_steps(STEPS, args.quick, inputs, labels)
    passes = {name: step.passes for name, step in steps.items()}
    with_partial = any(step.networks['teacher'].partial_forwards_no_graph for step in passes.values())
    primitives = Primitives(steps['asym mixed'], steps['learned mixed'], with_partial)

    tasks = {name: step.task() for name, step in steps.items()}
    tasks.update(primitives.tasks())
    print(f'Timing {len(tasks)} tasks: {warmup} warm-up + {rounds} rounds ...', flush=True)
    median = {name: 1000 * seconds for name, seconds in time_interleaved(tasks, rounds, warmup).medians().items()}
    floors = {name: floor_ms(step, median) for name, step in passes.items()}
    for name, (raw, mixed) in EXPECTED_STEPS.items():
        median[name] = (median[raw] + median[mixed]) / 2
        floors[name] = (floors[raw] + floors[mixed]) / 2
    memory = measure_memory(steps, args.memory, args.quick, batch, warmup)

    print(f'batch {batch}, {size}x{size}, {torch.get_num_threads()} threads, median of {rounds} interleaved rounds '
          f'after {warmup} warm-up; CPU: {describe_cpu()}; memory: {args.memory}')
    report(median, floors, passes, memory)
    return dict(median=median, floors=floors, passes=passes, memory=memory)


if __name__ == '__main__':
    run_tool(main)
