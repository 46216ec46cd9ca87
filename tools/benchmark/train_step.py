"""Time one training step of plain CE, CutMix, AutoMix and AMix on the CIFAR ResNet-18, and its CPU fast paths.

Usage::

    python tools/benchmark/train_step.py [--rounds 20] [--warmup 3] [--batch-size 32] \\
        [--methods ce cutmix automix amix] [--fast] [--quick]

**What is timed.** One training step with the data preprocessor's input already on hand (a float batch, labels in
``DataSample``\\ s): ``model.train_step(data, optim_wrapper)``, i.e. normalisation (+ the CutMix paste for CutMix),
forward, backward and the SGD step of MMEngine's ``OptimWrapper``, and for AutoMix / AMix also the momentum update
that ``MomentumPipelineHook`` runs after the step (``model.momentum_update(0.999)``). The models are built through the
registry from the repository configs (``configs/baselines/{ce,cutmix}_r18_cifar10.py``,
``configs/{automix,amix}/{automix,amix}_r18_cifar10_osr.py``), with 10 classes and lr lowered to 0.01 (the data are
random; the cost of a step does not depend on the learning rate). All methods and the primitives below run
interleaved in one process (round-robin, warm-up rounds first) and the median of the rounds is reported, so that a
change of machine load hits all of them alike. ``torch.set_num_threads(--threads)`` (2 by default).
``--quick`` (the smoke test) shrinks everything: batch 4, 16x16 inputs, width 8, one warm-up and one timed round,
one thread, in-process memory; its numbers only show that the script runs.

**Passes per step** come from the models (``step_passes()``, :mod:`openmixosr.models.utils.step_passes`) and are
printed above the table, with the cost of the classifier passes (q and k) in forward-equivalents (a backward = 2
forwards, a backward to the input only = 1, the momentum encoder's forward up to ``layer3`` = 3/4) and its ratio to
CutMix's.

**Floor.** Each declared pass priced by a primitive timed on its own in the same rounds: (a) forward + backward of
the classifier (CE loss), (b) forward of the backbone up to ``layer3`` under ``no_grad``, (c) forward + backward to
the input only of a frozen copy of the classifier (``requires_grad=False``), (d) optimizer step + ``zero_grad``,
(e) the EMA update of k, (f) the Mix Block's share (two masks, one without graph, mixing, mask loss, backward into the
block from the mixed images). A network's forward + backward is (a), forward + input backward (c), partial forward
(b); the Mix Block is (f); each optimizer step (d), each EMA update (e). (e) is in the floor because the timed region
contains the momentum update; the table also prints the floor ratio without it. A declared pass that no primitive
prices (e.g. a full forward without graph) stops the benchmark with an error.

**Peak memory.** Resident memory is the only allocator-independent measure on the CPU, so each method's step runs
in a fresh process (``--memory subprocess``, default; :func:`openmixosr.utils.benchmarking.run_in_fresh_process`)
that (1) fixes glibc's mmap threshold at 64 KiB (:func:`~openmixosr.utils.benchmarking.unpooled_malloc`) so that
every tensor buffer is its own mapping, returned to the OS when freed, (2) runs warm-up steps, (3) measures how far one
step raises the resident set (:func:`~openmixosr.utils.benchmarking.rss_rise_mb`). ``step MB`` = that rise
(activations, gradients, temporaries); ``state MB`` = bytes of the tensors that live between steps (parameters,
buffers, optimizer state, k), counted exactly; ``peak MB`` = the sum. ``proc MB`` = the fresh process's whole peak
RSS (``ru_maxrss``: interpreter and libraries included). ``--memory inprocess`` does the same in this process after
the timing (used by ``--quick``; no ``proc MB``), ``--memory off`` skips it.

**Fast paths** (``--fast``): every method is also timed with bf16 autocast (``CPUAutocastOptimWrapper``, a config
switch: ``optim_wrapper.type='CPUAutocastOptimWrapper'``), with channels_last (model and inputs) and with both; the
table prints the speed-up over fp32 and the fastest variant. ``torch.compile`` is not offered (README: compile time on
this 2-core machine, no gain after it).

**Goals** (judge them on a quiet machine with the full settings): AutoMix / CutMix <= 2.95x; that ratio within 1.05x
of the floor ratio; AutoMix peak memory <= 1.4x CutMix's.
"""
import argparse
import math
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmpretrain.structures import DataSample
from torch import nn

from openmixosr.models.algorithms import MomentumMixMixin
from openmixosr.models.utils.step_passes import SINGLE_STEP, NetworkPasses, StepPasses, step_passes_of
from openmixosr.utils.benchmarking import (Task, quiet_logger, rss_rise_mb, run_in_fresh_process, time_interleaved,
                                          unpooled_malloc)
from openmixosr.utils.cpu import describe_cpu
from openmixosr.utils.tool_errors import run_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIGS = {
    'ce': 'configs/baselines/ce_r18_cifar10.py',
    'cutmix': 'configs/baselines/cutmix_r18_cifar10.py',
    'automix': 'configs/automix/automix_r18_cifar10_osr.py',
    'amix': 'configs/amix/amix_r18_cifar10_osr.py',
}
METHODS = tuple(CONFIGS)
NAMES = {'ce': 'CE', 'cutmix': 'CutMix', 'automix': 'AutoMix', 'amix': 'AMix'}
VARIANTS = ('fp32', 'bf16', 'channels_last', 'bf16+channels_last')
FULL_WIDTH = 64
MOMENTUM = 0.999
LR = 0.01
GOALS = dict(ratio=2.95, over_floor=1.05, memory=1.4)
#: Cost of the momentum encoder's forward up to ``layer3`` in full forwards (3 of the ResNet's 4 stages, about equal).
PARTIAL_FORWARD = 0.75
#: The networks of classifier size (the Mix Block is small): the ones the cost in forward-equivalents counts.
CLASSIFIERS = ('online', 'momentum')
#: The Mix Block passes that primitive (f) times: two masks (one without graph) and one backward.
MIX_BLOCK_PRIMITIVE = NetworkPasses(forwards=1, forwards_no_graph=1, backwards=1)


@dataclass
class Settings:
    """Everything that defines the benchmarked step (passed on to the memory subprocesses)."""
    batch_size: int = 32
    image_size: int = 32
    num_classes: int = 10
    width: int = FULL_WIDTH
    threads: int = 2
    warmup: int = 3
    seed: int = 0


# ----------------------------------------------------------------------------------------------------------------
# Building the models and the batch
# ----------------------------------------------------------------------------------------------------------------
def setup(threads: int) -> None:
    """Register the modules (default scope ``openmixosr``) and fix the number of threads."""
    from openmixosr.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    torch.set_num_threads(threads)


def load_config(method: str, settings: Settings) -> Config:
    """The method's repository config with 10 classes, the batch's width, and the data preprocessor in the model."""
    cfg = Config.fromfile(str(REPO_ROOT / CONFIGS[method]))
    model = cfg.model
    model.head.num_classes = settings.num_classes
    model.data_preprocessor = dict(cfg.data_preprocessor, num_classes=settings.num_classes)
    if settings.width != FULL_WIDTH:  # 64-128-256-512 channels at full width
        model.backbone.update(stem_channels=settings.width, base_channels=settings.width)
        model.head.in_channels = 8 * settings.width
        if 'mix_block' in model.get('mixer', {}):
            model.mixer.mix_block.in_channels = 4 * settings.width
    cfg.optim_wrapper.optimizer.lr = LR
    return cfg


def build_model(method: str, settings: Settings, channels_last: bool = False):
    """Build the method's model through the registry, initialised, in training mode."""
    from openmixosr.registry import MODELS
    torch.manual_seed(settings.seed)
    with quiet_logger():
        model = MODELS.build(load_config(method, settings).model)
        model.init_weights()
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model.train()


def build_optim_wrappers(model: nn.Module, method: str, settings: Settings) -> Dict[str, OptimWrapper]:
    """The config's SGD in an ``OptimWrapper`` (fp32) and a ``CPUAutocastOptimWrapper`` (bf16) sharing it.

    The benchmark measures bf16 even on a CPU without native bfloat16 (where training refuses ``--amp``); the output
    names the CPU, so such a slow-down is read as what it is.
    """
    from openmixosr.engine import CPUAutocastOptimWrapper
    fp32 = build_optim_wrapper(model, load_config(method, settings).optim_wrapper)
    return dict(fp32=fp32, bf16=CPUAutocastOptimWrapper(optimizer=fp32.optimizer, allow_emulated_bf16=True))


def make_batch(settings: Settings, channels_last: bool = False):
    """A random uint8-range float batch and its labels (the same for every method)."""
    generator = torch.Generator().manual_seed(settings.seed)
    size = settings.image_size
    inputs = torch.randint(0, 256, (settings.batch_size, 3, size, size), generator=generator).float()
    labels = torch.randint(0, settings.num_classes, (settings.batch_size, ), generator=generator)
    if channels_last:
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    return inputs, labels


def make_data(inputs: torch.Tensor, labels: torch.Tensor) -> dict:
    """Fresh data samples for one step (the data preprocessor writes ``gt_score`` into them)."""
    return dict(inputs=inputs, data_samples=[DataSample().set_gt_label(int(label)) for label in labels])


def is_automix(model) -> bool:
    return isinstance(model, MomentumMixMixin)


class StepBench:
    """One method in one variant: ``task()`` times one training step, fresh data samples made untimed."""

    def __init__(self, model, optim_wrapper: OptimWrapper, inputs: torch.Tensor, labels: torch.Tensor):
        self.model = model
        self.optim_wrapper = optim_wrapper
        self.inputs = inputs
        self.labels = labels

    def run(self, data: dict) -> None:
        self.model.train_step(data, self.optim_wrapper)
        if is_automix(self.model):
            self.model.momentum_update(MOMENTUM)

    def task(self) -> Task:
        return Task(run=self.run, prepare=lambda: make_data(self.inputs, self.labels))


def build_step_benches(methods: Sequence[str], variants: Sequence[str], settings: Settings) -> Dict[tuple, StepBench]:
    """One model per method and memory format; fp32 and bf16 share it (they differ only in the optim wrapper)."""
    benches = {}
    for method in methods:
        for channels_last in (False, True):
            names = [v for v in variants if ('channels_last' in v) == channels_last]
            if not names:
                continue
            model = build_model(method, settings, channels_last)
            wrappers = build_optim_wrappers(model, method, settings)
            inputs, labels = make_batch(settings, channels_last)
            for variant in names:
                wrapper = wrappers['bf16' if variant.startswith('bf16') else 'fp32']
                benches[(method, variant)] = StepBench(model, wrapper, inputs, labels)
    return benches


# ----------------------------------------------------------------------------------------------------------------
# The primitives of the floor
# ----------------------------------------------------------------------------------------------------------------
class Primitives:
    """The pieces AutoMix's step is made of, each timed on its own (fp32, default memory format).

    Args:
        settings (Settings): Batch and model size.
        mix_methods (Sequence[str]): ``'automix'`` and/or ``'amix'``: whose Mix Block to time (empty: only (a), (d)).
    """

    def __init__(self, settings: Settings, mix_methods: Sequence[str]):
        from openmixosr.models.utils.momentum_encoder import MomentumEncoder
        classifier = build_model('ce', settings)
        self.network = nn.Sequential(classifier.backbone, classifier.neck, classifier.head)
        self.optim_wrapper = build_optim_wrapper(classifier, load_config('ce', settings).optim_wrapper)
        self.frozen = MomentumEncoder(self.network).module.train()  # deep copy, requires_grad False, like k
        self.momentum_encoder = MomentumEncoder(self.network)
        inputs, self.labels = make_batch(settings)
        self.inputs = classifier.data_preprocessor(make_data(inputs, self.labels), True)['inputs']
        self.image_grad = torch.randn_like(self.inputs)
        self.forward_backward()  # the gradients that every timed optimizer step (d) applies
        self.gradients = [parameter.grad.detach().clone() for parameter in self.network.parameters()]
        self.zero_grad()
        self.mix_blocks = {}
        for method in mix_methods:
            automix = build_model(method, settings)
            self.mix_blocks[method] = (automix.mixer.mix_block, automix.mix_features(self.inputs))

    def zero_grad(self) -> None:
        self.optim_wrapper.zero_grad()

    def forward_backward(self) -> None:
        """(a) forward + backward of the classifier (into gradients set to None, as after ``zero_grad``)."""
        F.cross_entropy(self.network(self.inputs), self.labels).backward()

    def load_gradients(self) -> None:
        for parameter, gradient in zip(self.network.parameters(), self.gradients):
            parameter.grad = gradient.clone()

    def optimizer_step(self) -> None:
        """(d) the optimizer step and ``zero_grad`` (on gradients of a forward + backward made at construction)."""
        self.optim_wrapper.step()
        self.optim_wrapper.zero_grad()

    def partial_forward(self) -> None:
        """(b) the backbone up to ``layer3`` without graph (train mode, as k runs in the step)."""
        from openmixosr.models.utils.truncated_forward import forward_until
        with torch.no_grad():
            forward_until(self.frozen[0], self.inputs, 'layer3')

    def input_gradient(self, inputs: torch.Tensor) -> None:
        """(c) forward + backward of the frozen classifier, gradients for the input only."""
        F.cross_entropy(self.frozen(inputs), self.labels).backward()

    def momentum_update(self) -> None:
        """(e) ``theta_k <- m theta_k + (1 - m) theta_q`` and the buffer copy."""
        self.momentum_encoder.update_parameters(self.network, MOMENTUM)

    def mix_block(self, method: str, indices) -> None:
        """(f) the Mix Block's share of the step: two masks (one without graph), the two mixings, the mask loss and
        the backward from the mixed images into the block."""
        from openmixosr.models.utils import mask_mix
        block, features = self.mix_blocks[method]
        index_mb, index_bb = indices
        size = self.inputs.shape[-2:]
        out = block(features, 0.3, index_mb, size)
        mixed = mask_mix(self.inputs, out['mask'], index_mb)
        with torch.no_grad():
            mask_mix(self.inputs, block(features, 0.6, index_bb, size)['mask'], index_bb)
        ((mixed * self.image_grad).sum() + block.mask_loss(out['raw_mask'], 0.3)).backward()

    def prepare_mix_block(self, method: str):
        self.mix_blocks[method][0].zero_grad(set_to_none=True)
        n = self.inputs.size(0)
        return torch.randperm(n), torch.randperm(n)

    def tasks(self) -> Dict[str, Task]:
        """Primitive name (``'a'`` ... ``'e'``, ``'f_{method}'``) -> its timed task."""
        tasks = dict(a=Task(run=lambda _: self.forward_backward(), prepare=self.zero_grad),
                     d=Task(run=lambda _: self.optimizer_step(), prepare=self.load_gradients))
        if self.mix_blocks:
            tasks.update(b=self.partial_forward,
                         c=Task(run=self.input_gradient, prepare=lambda: self.inputs.detach().requires_grad_(True)),
                         e=self.momentum_update)
        for method in self.mix_blocks:
            tasks[f'f_{method}'] = Task(run=lambda indices, method=method: self.mix_block(method, indices),
                                        prepare=lambda method=method: self.prepare_mix_block(method))
        return tasks


def floor(passes: StepPasses, primitives: Dict[str, float], method: str, with_ema: bool = True) -> float:
    """Lower bound of one step (seconds): every declared pass priced by the primitive that times it alone.

    Args:
        passes (StepPasses): The method's declared step.
        primitives (dict[str, float]): Primitive name -> median seconds (see the module docstring).
        method (str): Whose Mix Block primitive ``f_{method}`` prices a ``mix_block`` network.
        with_ema (bool): Count the EMA updates. Defaults to True.

    Raises:
        ValueError: A declared pass that no primitive prices.
    """
    def priced(count: int, primitive: str) -> float:
        return count * primitives[primitive] if count else 0.0

    total = priced(passes.optimizer_steps, 'd') + (priced(passes.momentum_updates, 'e') if with_ema else 0.0)
    for name, network in passes.networks.items():
        if name == 'mix_block':
            if network != MIX_BLOCK_PRIMITIVE:
                raise ValueError(f'{method}: primitive (f) times a Mix Block with {MIX_BLOCK_PRIMITIVE.describe()}, '
                                 f'the model declares {network.describe()}')
            total += primitives[f'f_{method}']
        elif network.forwards_no_graph or network.forwards != network.backwards + network.input_backwards:
            raise ValueError(f'{method}: no primitive prices {name} {network.describe()} (the primitives time a '
                             'forward + backward, a forward + input backward and a partial forward)')
        else:
            total += (priced(network.backwards, 'a') + priced(network.input_backwards, 'c') +
                      priced(network.partial_forwards_no_graph, 'b'))
    return total


def floors(primitives: Dict[str, float], passes: Dict[str, StepPasses], with_ema: bool = True) -> Dict[str, float]:
    """Method -> :func:`floor` of its declared step."""
    return {method: floor(step, primitives, method, with_ema) for method, step in passes.items()}


# ----------------------------------------------------------------------------------------------------------------
# Memory
# ----------------------------------------------------------------------------------------------------------------
def state_bytes(model: nn.Module, optim_wrapper: OptimWrapper) -> int:
    """Bytes of the tensors that live between steps: parameters, buffers and optimizer state (each counted once)."""
    tensors = {}
    for tensor in list(model.parameters()) + list(model.buffers()):
        tensors[tensor.data_ptr()] = tensor.untyped_storage().nbytes()
    for state in optim_wrapper.optimizer.state.values():
        for value in state.values():
            if torch.is_tensor(value):
                tensors[value.data_ptr()] = value.untyped_storage().nbytes()
    return sum(tensors.values())


def measure_memory(bench: StepBench, warmup: int) -> Dict[str, float]:
    """State, step and peak memory of one step in MB (see the module docstring); step and peak are NaN without
    ``/proc`` (not Linux)."""
    for _ in range(max(warmup, 1)):
        bench.run(make_data(bench.inputs, bench.labels))
    data = make_data(bench.inputs, bench.labels)
    step_mb = rss_rise_mb(lambda: bench.run(data))
    state_mb = state_bytes(bench.model, bench.optim_wrapper) / 2**20
    return dict(state=state_mb, step=step_mb, peak=state_mb + step_mb)


def memory_worker(method: str, settings: dict) -> Dict[str, float]:
    """Fresh-process body of ``--memory subprocess``: build one method and measure its step."""
    settings = Settings(**settings)
    with unpooled_malloc():
        setup(settings.threads)
        bench = build_step_benches([method], ['fp32'], settings)[(method, 'fp32')]
        return measure_memory(bench, settings.warmup)


def measure_all_memory(methods: Sequence[str], settings: Settings, mode: str,
                       benches: Dict[tuple, StepBench]) -> Dict[str, Dict[str, float]]:
    if mode == 'off':
        return {}
    if mode == 'subprocess':
        memory = {}
        for method in methods:
            run = run_in_fresh_process(__file__, 'memory_worker', method=method, settings=asdict(settings))
            memory[method] = dict(run.result, process=run.peak_rss_mb)
        return memory
    with unpooled_malloc():  # after the timing, so it does not change the timed steps
        return {method: measure_memory(benches[(method, 'fp32')], settings.warmup) for method in methods}


# ----------------------------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------------------------
def _fmt(value: Optional[float], spec: str = '.2f', width: int = 8) -> str:
    return f'{"-":>{width}}' if value is None or (isinstance(value, float) and math.isnan(value)) else \
        f'{value:{width}{spec}}'


def verdict(value: Optional[float], goal: float) -> str:
    if value is None or math.isnan(value):
        return 'n/a'
    return 'met' if value <= goal else 'MISSED'


def report_passes(methods: Sequence[str], passes: Dict[str, StepPasses]) -> Dict[str, float]:
    """Print each method's declared passes and their cost in forward-equivalents; return the costs."""
    costs = {method: passes[method].forward_equivalents(CLASSIFIERS, PARTIAL_FORWARD) for method in methods}
    print('\nPasses per step (declared by the models; F = forward, B = backward), cost of the classifier passes in '
          f'forwards (B = 2F, B(input) = 1F, partial F = {PARTIAL_FORWARD}F)')
    for method in methods:
        relative = f', {costs[method] / costs["cutmix"]:.2f}x CutMix' if 'cutmix' in costs else ''
        print(f'{NAMES[method]:<8} {passes[method].describe()} ({costs[method]:.2f}F{relative})')
    return costs


def report(methods: Sequence[str], passes: Dict[str, StepPasses], medians: Dict[str, float],
           memory: Dict[str, Dict[str, float]], settings: Settings, rounds: int, quick: bool) -> Dict[str, dict]:
    """Print the primitives, the passes, the main table and the goals; return the rows (for tests and scripts).

    Args:
        methods (Sequence[str]): The timed methods, in table order.
        passes (dict[str, StepPasses]): Method -> its declared step.
        medians (dict[str, float]): Task name -> median seconds: primitives by letter (``'a'``, ``'f_automix'``),
            steps as ``'{method}/{variant}'``.
        memory (dict[str, dict]): Method -> :func:`measure_memory` (empty when not measured).
        settings (Settings): The benchmarked step.
        rounds (int): Timed rounds (for the header).
        quick (bool): Whether the settings are the smoke-test ones.
    """
    primitives = {key: seconds for key, seconds in medians.items() if '/' not in key}
    floor = floors(primitives, passes)
    floor_no_ema = floors(primitives, passes, with_ema=False) if 'e' in primitives else floor
    step = {method: medians[f'{method}/fp32'] for method in methods}
    cutmix = 'cutmix' if 'cutmix' in methods else None

    print(f'\nTraining step: CIFAR ResNet-18 (width {settings.width}), batch {settings.batch_size}, '
          f'{settings.image_size}x{settings.image_size}, {settings.num_classes} classes, SGD, '
          f'{settings.threads} threads; median of {rounds} interleaved rounds after {settings.warmup} warm-up.')
    print(f'CPU: {describe_cpu()}')
    print('\nPrimitives (fp32)                                              median ms')
    labels = dict(a='(a) classifier forward + backward', b='(b) backbone up to layer3, no_grad',
                  c='(c) frozen classifier forward + backward to input', d='(d) optimizer step + zero_grad',
                  e='(e) momentum update of k (EMA + buffer copy)')
    for key in ('a', 'b', 'c', 'd', 'e'):
        if key in primitives:
            print(f'{labels[key]:<60} {1e3 * primitives[key]:9.2f}')
    for method in methods:
        if f'f_{method}' in primitives:
            label = f'(f) {NAMES[method]} Mix Block: 2 masks + mixing + backward'
            print(f'{label:<60} {1e3 * primitives[f"f_{method}"]:9.2f}')

    report_passes(methods, passes)
    rows = {}
    header = (f'{"method":<8} {"median ms":>9} {"state MB":>8} {"step MB":>8} {"peak MB":>8} {"proc MB":>8} '
              f'{"/CutMix":>8} {"floor ms":>8} {"floor /CutMix":>13} {"meas/floor":>10}')
    print('\n' + header + '\n' + '-' * len(header))
    for method in methods:
        mem = memory.get(method, {})
        ratio = step[method] / step[cutmix] if cutmix else None
        floor_ratio = floor[method] / floor[cutmix] if cutmix else None
        rows[method] = dict(ms=1e3 * step[method], floor_ms=1e3 * floor[method], ratio=ratio, floor_ratio=floor_ratio,
                            over_floor=step[method] / floor[method], memory=mem,
                            memory_ratio=(mem['peak'] / memory[cutmix]['peak']) if mem and cutmix else None)
        print(f'{NAMES[method]:<8} {1e3 * step[method]:9.1f} {_fmt(mem.get("state"), ".1f")} '
              f'{_fmt(mem.get("step"), ".1f")} {_fmt(mem.get("peak"), ".1f")} {_fmt(mem.get("process"), ".1f")} '
              f'{_fmt(ratio, ".3f")} {1e3 * floor[method]:8.1f} {_fmt(floor_ratio, ".3f", 13)} '
              f'{step[method] / floor[method]:10.3f}')
    print('floor: each declared pass priced by its primitive (forward + backward a, forward + input backward c, '
          'partial forward b, Mix Block f, optimizer step d, EMA update e).')

    if quick:
        print('\nQuick settings: the goals below are only meaningful with the full settings on a quiet machine.')
    print('\nGoals')
    for method in ('automix', 'amix'):
        if method not in methods or cutmix is None:
            continue
        row = rows[method]
        within = row['ratio'] / row['floor_ratio']
        no_ema = floor_no_ema[method] / floor_no_ema[cutmix]
        print(f'{NAMES[method]:<8} / CutMix time   = {row["ratio"]:.3f} (goal <= {GOALS["ratio"]}: '
              f'{verdict(row["ratio"], GOALS["ratio"])})')
        print(f'{NAMES[method]:<8} ratio / floor ratio = {within:.3f} (goal <= {GOALS["over_floor"]}: '
              f'{verdict(within, GOALS["over_floor"])}; floor ratio {row["floor_ratio"]:.3f}, '
              f'{no_ema:.3f} without the EMA update)')
        mem_ratio = row['memory_ratio']
        print(f'{NAMES[method]:<8} / CutMix peak memory = {_fmt(mem_ratio, ".3f", 0)} (goal <= {GOALS["memory"]}: '
              f'{verdict(mem_ratio, GOALS["memory"])})')
    return rows


def report_fast(methods: Sequence[str], medians: Dict[str, float]) -> str:
    """Print every variant's median and speed-up over fp32; return the variant with the best geometric-mean
    speed-up over the methods."""
    header = f'{"method":<8}' + ''.join(f' {variant:>26}' for variant in VARIANTS)
    print(f'\nFast paths: median ms (speed-up over fp32), measured on {describe_cpu()}\n' + header + '\n' +
          '-' * len(header))
    speedups: Dict[str, List[float]] = {variant: [] for variant in VARIANTS}
    for method in methods:
        fp32 = medians[f'{method}/fp32']
        cells = []
        for variant in VARIANTS:
            seconds = medians[f'{method}/{variant}']
            speedups[variant].append(fp32 / seconds)
            cells.append(f'{1e3 * seconds:.1f} ({fp32 / seconds:.2f}x)')
        best = max(VARIANTS, key=lambda variant: fp32 / medians[f'{method}/{variant}'])
        print(f'{NAMES[method]:<8}' + ''.join(f' {cell:>26}' for cell in cells) + f'   fastest: {best}')
    geomean = {variant: math.exp(statistics.fmean(math.log(s) for s in values)) for variant, values in
               speedups.items()}
    fastest = max(geomean, key=geomean.get)
    print('geometric-mean speed-up: ' + ', '.join(f'{variant} {value:.2f}x' for variant, value in geomean.items()))
    print(f'Fastest overall: {fastest}')
    return fastest


# ----------------------------------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------------------------------
def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                     description='Benchmark one training step of CE, CutMix, AutoMix and AMix.')
    parser.add_argument('--rounds', type=int, help='interleaved timed rounds (default 20; quick 1)')
    parser.add_argument('--warmup', type=int, help='untimed rounds first (default 3; quick 1)')
    parser.add_argument('--batch-size', type=int, help='default 32 (quick 4)')
    parser.add_argument('--image-size', type=int, help='default 32 (quick 16)')
    parser.add_argument('--width', type=int, help=f'base channels of the ResNet-18, default {FULL_WIDTH} (quick 8)')
    parser.add_argument('--threads', type=int, help='torch.set_num_threads (default 2; quick 1)')
    parser.add_argument('--methods', nargs='+', choices=METHODS, default=list(METHODS))
    parser.add_argument('--fast', action='store_true', help='also time bf16 autocast, channels_last and both')
    parser.add_argument('--memory', choices=('subprocess', 'inprocess', 'off'),
                        help='how to measure peak memory (default subprocess; quick inprocess)')
    parser.add_argument('--quick', action='store_true', help='tiny settings for a smoke run')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    defaults = dict(rounds=(1, 20), warmup=(1, 3), batch_size=(4, 32), image_size=(16, 32), width=(8, FULL_WIDTH),
                    threads=(1, 2), memory=('inprocess', 'subprocess'))
    for name, (quick, full) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    if args.rounds < 1 or args.warmup < 0:
        parser.error('--rounds must be >= 1 and --warmup >= 0')
    return args


def run_benchmark(args: argparse.Namespace, settings: Settings) -> Dict[str, object]:
    setup(settings.threads)
    np.random.seed(settings.seed)
    methods = [method for method in METHODS if method in args.methods]  # fixed order
    variants = VARIANTS if args.fast else ('fp32', )
    benches = build_step_benches(methods, variants, settings)
    primitives = Primitives(settings, [method for method in methods if method in ('automix', 'amix')])

    passes = {method: step_passes_of(benches[(method, 'fp32')].model)[SINGLE_STEP] for method in methods}

    tasks: Dict[str, Union[Callable[[], None], Task]] = {
        f'{method}/{variant}': bench.task() for (method, variant), bench in benches.items()}
    tasks.update(primitives.tasks())
    print(f'Timing {len(tasks)} tasks: {args.warmup} warm-up + {args.rounds} rounds ...', flush=True)
    medians = time_interleaved(tasks, args.rounds, args.warmup).medians()

    memory = measure_all_memory(methods, settings, args.memory, benches)
    rows = report(methods, passes, medians, memory, settings, args.rounds, args.quick)
    fastest = report_fast(methods, medians) if args.fast else None
    return dict(rows=rows, medians=medians, passes=passes, fastest=fastest)


def main(argv: Optional[List[str]] = None) -> Dict[str, object]:
    args = parse_args(argv)
    settings = Settings(batch_size=args.batch_size, image_size=args.image_size, width=args.width,
                        threads=args.threads, warmup=args.warmup, seed=args.seed)
    threads = torch.get_num_threads()
    try:
        return run_benchmark(args, settings)
    finally:
        torch.set_num_threads(threads)


if __name__ == '__main__':
    run_tool(main)
