"""Train configs on every published split and print one results table in the layout of the asymmetric distillation
paper's Table 2 (Table 3 for the Semantic Shift Benchmark).

    python tools/benchmark_table.py CONFIG [CONFIG ...] [--splits 0 1 2 3 4] [--seeds 0] [--jobs N]
        [--launcher local|slurm --partition P] [--work-dir DIR] [--cfg-options ...] [--out-md F] [--out-csv F]

The protocol (docs/benchmark_table.md):

- **Splits.** A config whose datasets use a benchmark with five published splits (and a top-level ``split``) runs on
  all five by default, each with ``--cfg-options split=K``; a benchmark with one split (the Semantic Shift Benchmark)
  runs on split 0 only, and ``--splits`` naming another split is an error.
- **Seeds.** Every config runs on every split for every seed of ``--seeds`` (``randomness.seed``).
- **Teachers.** A distillation config (its model a ``DistillsFromTeacher``) names its teacher config in
  ``teacher_config`` (``openmixosr::NAME`` or a path). The teacher trains once per split (seed 0, ``split=K`` and
  the same ``--cfg-options``), shared by every config that names it, before its students; each student of split K
  receives the last checkpoint of the teacher of split K (``model.teacher_checkpoint``; the runner refuses a teacher
  trained on other known classes).
- **Metrics.** ``osr/accuracy``, ``osr/auroc``, ``osr/oscr`` of the last validation; for a config whose
  ``val_evaluator`` has ``unknown_sets``: ``osr/accuracy`` and ``osr/<set>/auroc``, ``osr/<set>/oscr`` for each set.
- **Aggregation.** Per method and dataset, the mean and the standard deviation over all its runs (splits x seeds),
  ``std = sqrt(sum((x - mean)^2) / n)`` (ddof=0, as tools/reproduce_ablation.py). Failed runs are left out (reported,
  and the tool exits non-zero); ``n`` says how many runs each cell has.
- **Rows and columns.** Row: ``--rows`` (one name per config), else the name of its paper row, else the file stem.
  Column group: ``--columns``, else the benchmark's name as the paper writes it (``BENCHMARK_COLUMNS``), else the
  paper row's column. (Not
  config keys: configs inherit each other, and an inherited row name would put two methods in one row.)
  The paper row is the config's ``paper_row`` (an id of openmixosr/paper_results.py), else the first row (in table
  order) whose ``config`` is this file; its published number is printed in brackets beside ours.
- **Runs.** Work dirs ``WORK_DIR/<config stem>/split<K>/seed<S>`` (a teacher is the seed-0 run of its own config);
  each run trains on the processes its recipe implies (``auto_scale_lr.base_batch_size`` over the batch per process:
  ``GPUS`` of ``tools/slurm_train.sh``). Finished runs keep ``metrics.json`` (their identity, metrics and provenance)
  and are not run again, so a command interrupted half-way continues; a student whose teacher was trained again is
  trained again; a finished run of other code is tabled with the mark ``‡`` and the code it came from
  (``--rerun-other-code`` trains it again). The queue is :mod:`openmixosr.utils.run_queue` (``--jobs`` runs at once,
  each with ``cores // jobs`` threads; with ``--launcher slurm`` each run is ``tools/slurm_train.sh`` and all runs are
  submitted at once by default). Two commands on one ``--work-dir`` do not run side by side: the second waits.

Output: the Markdown table (and the count of runs per cell) on stdout and in ``--out-md``, one CSV line per method x
dataset x metric (mean, std, n, paper) in ``--out-csv``; progress on stderr. When no run finished, no table is
written and the tool exits non-zero.
"""
import argparse
import csv
import os
import os.path as osp
import sys
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.utils import ProgressBar

from openmixosr.datasets.splits import split_count
from openmixosr.evaluation.reporting import median_of_last_epochs
from openmixosr.models.contracts import distills_from_teacher
from openmixosr.paper_results import PAPERS, ROWS, PaperRow, row_by_id
from openmixosr.utils.config import resolve_config
from openmixosr.utils.experiments import teacher_config_of
from openmixosr.utils.file_lock import exclusive_lock
from openmixosr.utils.result_tables import OTHER_CODE_MARK, mean_std, other_code_lines
from openmixosr.utils.run_queue import (LocalLauncher, Outcome, Run, SlurmLauncher, default_local_jobs, failure_report,
                                        queue_order, recipe_world_size, run_queue, summary_line, threads_per_job)
from openmixosr.utils.tool_errors import run_tool

TOOLS = osp.dirname(osp.abspath(__file__))
REPO_ROOT = osp.dirname(TOOLS)
TRAIN = osp.join(TOOLS, 'train.py')
SLURM_TRAIN = osp.join(TOOLS, 'slurm_train.sh')
#: Benchmark name -> the paper's column name, so that a baseline (no paper row) shares the paper rows' column group.
BENCHMARK_COLUMNS = {'mnist': 'MNIST', 'svhn': 'SVHN', 'cifar10': 'CIFAR-10', 'cifar+10': 'CIFAR+10',
                     'cifar+50': 'CIFAR+50', 'tiny_imagenet': 'TinyImageNet', 'ssb_cub': 'CUB', 'ssb_scars': 'SCars',
                     'ssb_aircraft': 'FGVC-Aircraft', 'in21k_ssb': 'ImageNet-21K (SSB lists)'}
#: ``--cfg-options`` keys the tool sets itself, and the option that sets them instead.
RESERVED_OPTIONS = {'split': '--splits', 'randomness.seed': '--seeds', 'model.teacher_checkpoint': '`teacher_config`'}


#: How a run's number is taken from its validations: after its last epoch (the asymmetric distillation paper), or the
#: median of the validations after each of its last 10 epochs (AutoMix Sec. 4.1, AMix Sec. 4.1).
LAST_EPOCH, MEDIAN_OF_LAST_10 = 'last epoch', 'median of last 10 epochs'


class Metric(NamedTuple):
    """A column of the table: its header, the run's metric, the paper row's result of the same quantity, and the
    statistic of a run (:data:`LAST_EPOCH` or :data:`MEDIAN_OF_LAST_10`)."""
    label: str
    key: str
    paper_key: Optional[str]
    statistic: str = LAST_EPOCH


STANDARD_METRICS = (Metric('Acc.', 'osr/accuracy', 'accuracy'), Metric('AUROC', 'osr/auroc', 'auroc'),
                    Metric('OSCR', 'osr/oscr', 'oscr'))
#: A closed-set AutoMix / AMix row: the papers' statistic beside the last epoch's value.
TOP1_METRICS = (Metric('Top-1 (median of last 10)', 'accuracy/top1', 'top1', MEDIAN_OF_LAST_10),
                Metric('Top-1 (last epoch)', 'accuracy/top1', None))


def metric_value(metric: Metric, record: dict) -> float:
    """A run's number of ``metric`` from its finished record (:mod:`openmixosr.utils.run_record`).

    Raises:
        KeyError: The run did not log the metric.
        ValueError: The median of the last 10 epochs cannot be formed (a run shorter than 10 epochs, or one that did
            not validate after each of them).
    """
    if metric.statistic == LAST_EPOCH:
        return record['metrics'][metric.key]
    history = [dict(validation['metrics'], step=validation['epoch']) for validation in record['validations']]
    return median_of_last_epochs(history, metric.key, record['max_epochs'])


class Method(NamedTuple):
    """One config of the table, as the table sees it."""
    config: str  # absolute path
    row: str
    column: str
    metrics: Tuple[Metric, ...]
    paper_row: Optional[PaperRow]
    splits: Tuple[int, ...]  # the published splits of its benchmark
    has_split: bool  # a top-level `split` (passed as --cfg-options split=K)
    teacher_config: Optional[str]  # absolute path, for a distillation config
    world_size: int = 1  # processes its recipe implies (recipe_world_size)

    @property
    def stem(self) -> str:
        return osp.splitext(osp.basename(self.config))[0]


class Cell(NamedTuple):
    """One number of the table: a metric of a method on a dataset over its runs."""
    row: str
    column: str
    metric: Metric
    mean: float
    std: float
    n: int
    paper: Optional[float]
    paper_table: str  # e.g. 'Asymmetric distillation for OSR (Jia et al., IJCAI 2024), Table 2'; '' without a number
    config: str
    paper_note: str = ''  # why the published number is not comparable with ours ('' when it is)
    other_code: Tuple[str, ...] = ()  # the code versions of its runs trained by other code than the table's


def parse_args(argv=None):
    parser = argparse.ArgumentParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                     description='Train configs on every published split; print the results table')
    parser.add_argument('configs', nargs='+', metavar='CONFIG',
                        help='configs (paths, or openmixosr::NAME for shipped ones): the methods of the table')
    parser.add_argument('--splits', type=int, nargs='+',
                        help='published splits (default: all 5 of the benchmark; 0 for one-split benchmarks)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0], help='seeds of every split, each once '
                        '(default: 0)')
    parser.add_argument('--jobs', type=int,
                        help='runs at once, each with cores // jobs threads (default: locally one single-thread run '
                        'per core, at most 4, on a CPU-only machine; 1 with a GPU; all runs at once with slurm)')
    parser.add_argument('--launcher', choices=['local', 'slurm'], default='local',
                        help='local: python tools/train.py here; slurm: bash tools/slurm_train.sh per run')
    parser.add_argument('--partition', help='Slurm partition (required with --launcher slurm)')
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'benchmark_table'),
                        help='root of all work dirs (default: work_dirs/benchmark_table)')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='options of every run, teachers included, e.g. `train_cfg.max_epochs=5`')
    parser.add_argument('--rows', nargs='+', metavar='NAME',
                        help='row names, one per CONFIG in order (default: each config\'s paper row or file stem)')
    parser.add_argument('--columns', nargs='+', metavar='NAME',
                        help='column groups, one per CONFIG in order (default: the paper\'s column or benchmark)')
    parser.add_argument('--rerun-other-code', action='store_true',
                        help='train again the finished runs of other code (package sources or library versions); by '
                        'default they are tabled with the mark ' + OTHER_CODE_MARK.replace('%', '%%'))
    parser.add_argument('--out-md', help='Markdown table (default: WORK_DIR/benchmark_table.md)')
    parser.add_argument('--out-csv', help='CSV, one line per method x dataset x metric (default: '
                        'WORK_DIR/benchmark_table.csv)')
    args = parser.parse_args(argv)
    args.configs = [resolve_config(config) for config in args.configs]
    if args.launcher == 'slurm' and not args.partition:
        parser.error('--launcher slurm needs --partition PARTITION')
    if args.jobs is not None and args.jobs < 1:
        parser.error(f'--jobs must be >= 1, got {args.jobs}')
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f'--seeds {" ".join(map(str, args.seeds))}: a seed is given twice (the same run would count '
                     'twice in a mean and a std)')
    for name in ('rows', 'columns'):
        given = getattr(args, name)
        if given is not None and len(given) != len(args.configs):
            parser.error(f'--{name} names {len(given)} {name} for {len(args.configs)} configs: give one per config')
    for option in args.cfg_options:
        key = option.split('=', 1)[0]
        if key in RESERVED_OPTIONS:
            parser.error(f'--cfg-options {option}: the tool sets `{key}` itself; use {RESERVED_OPTIONS[key]}')
        if key.endswith('osr_split'):
            parser.error(f'--cfg-options {option}: the tool selects splits with --splits (it sets `split`, which '
                         'the datasets\' `osr_split` follow)')
    return args


# ------------------------------------------------------------------------------------------------ what a config is
def dataset_benchmark(cfg: Config) -> Optional[str]:
    """The ``benchmark`` of the training dataset (searched through wrapper datasets), or None."""
    def find(node):
        if isinstance(node, dict):
            if node.get('benchmark') is not None:
                return node['benchmark']
            for value in node.values():
                found = find(value)
                if found is not None:
                    return found
        elif isinstance(node, (list, tuple)):
            for value in node:
                found = find(value)
                if found is not None:
                    return found
        return None
    return find(cfg.get('train_dataloader', {}).get('dataset'))


def published_splits(cfg: Config) -> Tuple[int, ...]:
    """The split indices a config can run: those of its benchmark (``0 .. split_count - 1``); ``(0, )`` without a
    benchmark.

    Raises:
        ValueError: A benchmark of several splits in a config without a top-level ``split`` (``--cfg-options
            split=K`` would select nothing, and every split would train split 0).
    """
    benchmark = dataset_benchmark(cfg)
    if benchmark is None:
        return (0, )
    splits = list(range(split_count(benchmark)))
    if len(splits) > 1 and 'split' not in cfg:
        raise ValueError(f'The datasets use benchmark {benchmark!r} ({len(splits)} published splits) but the config '
                         'has no top-level `split`: add `split = 0` and pass `osr_split=split` to its datasets (as '
                         'configs/_base_/datasets/open_set_benchmark_common.py does).')
    return tuple(splits) or (0, )


def choose_splits(method: Method, requested: Optional[Sequence[int]]) -> Tuple[int, ...]:
    """``requested`` (``--splits``) when the config has those splits, its published splits when None.

    Raises:
        ValueError: For a split the config's benchmark does not publish.
    """
    if requested is None:
        return method.splits
    missing = [split for split in requested if split not in method.splits]
    if missing:
        what = ('one split only: run it with --splits 0 or without --splits' if len(method.splits) == 1 else
                f'the splits {list(method.splits)}')
        raise ValueError(f'--splits {" ".join(map(str, requested))}: {method.config} has {what} (no split '
                         f'{", ".join(map(str, missing))}).')
    return tuple(dict.fromkeys(requested))


def table_metrics(cfg: Config) -> Tuple[Metric, ...]:
    """:data:`STANDARD_METRICS`, or accuracy then AUROC and OSCR of each named unknown set (``unknown_sets`` of the
    validation evaluator) in the order of the paper's Table 3: AUROC of every set, then OSCR of every set; for a
    closed-set config that validates after each of its last 10 epochs (``LastEpochsValTrainLoop``: the supervised
    AutoMix / AMix rows), :data:`TOP1_METRICS`."""
    evaluators = cfg.get('val_evaluator') or []
    evaluators = evaluators if isinstance(evaluators, (list, tuple)) else [evaluators]
    if (cfg.get('train_cfg') or {}).get('type') == 'LastEpochsValTrainLoop' and any(
            e.get('type') == 'Accuracy' for e in evaluators):
        return TOP1_METRICS
    sets = next((tuple(e['unknown_sets']) for e in evaluators if e.get('unknown_sets')), None)
    if not sets:
        return STANDARD_METRICS
    return (STANDARD_METRICS[0], *(Metric(f'AUROC {name}', f'osr/{name}/auroc', f'auroc_{name}') for name in sets),
            *(Metric(f'OSCR {name}', f'osr/{name}/oscr', f'oscr_{name}') for name in sets))


def repo_relative(path: str) -> str:
    """``path`` relative to the repository root (how paper rows name configs), or absolute when outside it."""
    relative = osp.relpath(osp.abspath(path), REPO_ROOT)
    return osp.abspath(path) if relative.startswith('..') else relative


def find_paper_row(cfg: Config, config: str) -> Optional[PaperRow]:
    """The paper row of a config: its ``paper_row`` id, else the first row whose ``config`` is this file (rows are in
    table order, so Table 2's row of ``configs/asym/r18_tiny.py`` comes before its ablation rows), else None."""
    if cfg.get('paper_row'):
        return row_by_id(cfg.paper_row)
    relative = repo_relative(config)
    return next((row for row in ROWS if row.config == relative), None)


def describe(config: str) -> Method:
    """What the table needs of a config (see the module docstring).

    Raises:
        KeyError: A distillation config without ``teacher_config``.
        FileNotFoundError: A ``teacher_config`` that names no file (:func:`~openmixosr.utils.experiments.
            teacher_config_of`).
    """
    cfg = Config.fromfile(config)
    row = find_paper_row(cfg, config)
    benchmark = dataset_benchmark(cfg)
    stem = osp.splitext(osp.basename(config))[0]
    teacher = None
    if distills_from_teacher(cfg.model):
        teacher = teacher_config_of(config)
        if teacher is None:
            raise KeyError(f'{config} distils from a teacher ({cfg.model.type}) but names no `teacher_config`: add '
                           "e.g. `teacher_config = 'openmixosr::baselines/ce_r50_svhn.py'` (or a path), the config "
                           'whose run `model.teacher_checkpoint` names.')
    return Method(
        config=osp.abspath(config),
        row=row.row if row else stem,
        column=BENCHMARK_COLUMNS.get(benchmark) or (row.column if row and row.column else benchmark or stem),
        metrics=table_metrics(cfg),
        paper_row=row,
        splits=published_splits(cfg),
        has_split='split' in cfg,
        teacher_config=teacher,
        world_size=recipe_world_size(cfg))


def check_cells_unique(methods: Sequence[Method]) -> None:
    """Two configs in the same table cell would be averaged together: refuse, naming both."""
    seen = {}
    for method in methods:
        other = seen.setdefault((method.row, method.column), method)
        if other is not method:
            raise ValueError(f'{other.config} and {method.config} are both row {method.row!r}, column '
                             f'{method.column!r}: name them apart with `--rows` (or `--columns`).')


# ------------------------------------------------------------------------------------------------ runs
def plan_runs(methods: Sequence[Method], splits: Dict[str, Tuple[int, ...]], seeds: Sequence[int],
              options: Sequence[str], work_root: str) -> List[Tuple[Method, Run]]:
    """Every (method, run): each method on each of its splits for each seed, a distillation run depending on the
    seed-0 run of its teacher config on the same split (one teacher run per teacher config and split).

    Raises:
        ValueError: When a teacher config does not have a student's split.
    """
    teacher_methods: Dict[str, Method] = {}
    teachers: Dict[Tuple[str, int], Run] = {}

    def run_of(method: Method, split: int, seed: int, teacher: Optional[Run] = None, role: str = '') -> Run:
        split_options = (f'split={split}', ) if method.has_split else ()
        return Run(method.config, osp.join(work_root, method.stem, f'split{split}', f'seed{seed}'), seed,
                   split_options + tuple(options), teacher, name=f'{method.stem} split {split} seed {seed}{role}',
                   world_size=method.world_size)

    planned = []
    for method in methods:
        for split in splits[method.config]:
            teacher = None
            if method.teacher_config is not None:
                if (method.teacher_config, split) not in teachers:
                    source = teacher_methods.get(method.teacher_config) or describe(method.teacher_config)
                    teacher_methods[method.teacher_config] = source
                    if split not in source.splits:
                        raise ValueError(f'The teacher config {source.config} of {method.config} cannot train split '
                                         f'{split}: its splits are {list(source.splits)}.')
                    teachers[method.teacher_config, split] = run_of(source, split, 0, role=' (teacher)')
                teacher = teachers[method.teacher_config, split]
            planned += [(method, run_of(method, split, seed, teacher)) for seed in seeds]
    return planned


# ------------------------------------------------------------------------------------------------ the table
def aggregate(methods: Sequence[Method], results: Dict[str, List[Outcome]]) -> List[Cell]:
    """One :class:`Cell` per method (with at least one finished run) and metric: :func:`mean_std` of the metric over
    the method's runs.

    Args:
        methods (Sequence[Method]): The methods, in table order.
        results (dict): Config (absolute path) -> the outcomes of its finished runs, each a distinct run.

    Raises:
        KeyError: When a run did not log a metric of the table.
        ValueError: When a run is given twice (it would count twice in the mean and the std).
    """
    cells = []
    for method in methods:
        outcomes = results.get(method.config) or []
        if not outcomes:
            continue
        if len({outcome.run.key for outcome in outcomes}) != len(outcomes):
            raise ValueError(f'{method.config}: a run is counted twice in its cell')
        other_code = tuple(sorted({outcome.other_code for outcome in outcomes if outcome.other_code}))
        row = method.paper_row
        paper = dict(row.results) if row else {}
        table = f'{PAPERS[row.paper]}, Table {row.table}' if row else ''
        for metric in method.metrics:
            missing = sum(metric.key not in outcome.metrics for outcome in outcomes)
            if missing:
                raise KeyError(f'{missing} of the {len(outcomes)} runs of {method.config} logged no {metric.key!r}.')
            mean, std, n = mean_std([metric_value(metric, outcome.record) for outcome in outcomes])
            number = paper.get(metric.paper_key)
            note = f'{row.id}: {row.reason}' if number is not None and not row.comparable else ''
            cells.append(Cell(method.row, method.column, metric, mean, std, n, number, table if number is not None
                              else '', repo_relative(method.config), note, other_code))
    return cells


NOT_COMPARABLE = '†'


def _cell_text(cell: Optional[Cell]) -> str:
    if cell is None:
        return ''
    text = f'{cell.mean:.2f} ± {cell.std:.2f}' if cell.n > 1 else f'{cell.mean:.2f}'
    text += OTHER_CODE_MARK if cell.other_code else ''
    mark = NOT_COMPARABLE if cell.paper_note else ''
    return text + (f' ({cell.paper:g}{mark})' if cell.paper is not None else '')


def _markdown_rows(header: List[str], rows: List[List[str]], aligns: List[str]) -> List[str]:
    return ['| ' + ' | '.join(header) + ' |', '| ' + ' | '.join(aligns) + ' |',
            *('| ' + ' | '.join(row) + ' |' for row in rows)]


def statistics_note(cells: Sequence[Cell]) -> str:
    """What a number of the table is: the statistic of a run, and how a cell aggregates runs (and whose choice)."""
    text = 'Statistics: a run\'s number is its validation after its last epoch'
    if any(cell.metric.statistic == MEDIAN_OF_LAST_10 for cell in cells):
        text += ('; "median of last 10": the median of its validations after each of its last 10 epochs (AutoMix '
                 'Sec. 4.1, AMix Sec. 4.1, whose tables give the mean of 3 such runs)')
    text += '. A cell is the mean ± std over its runs.'
    if any(cell.paper_table.startswith(PAPERS['asym']) for cell in cells):
        text += (' The mean over the published splits is our choice for the asymmetric distillation paper\'s '
                 'numbers: the paper does not say how it aggregates its splits.')
    return text


def format_markdown(cells: Sequence[Cell], splits: Dict[str, Tuple[int, ...]], seeds: Sequence[int]) -> str:
    """The table: one row per method, one column group per dataset (its metrics), ``mean ± std (paper)``; then the
    number of runs per cell."""
    rows = list(dict.fromkeys(cell.row for cell in cells))
    columns = list(dict.fromkeys(cell.column for cell in cells))
    metrics = {column: list(dict.fromkeys(cell.metric for cell in cells if cell.column == column))
               for column in columns}
    lookup = {(cell.row, cell.column, cell.metric): cell for cell in cells}
    counts = {(cell.row, cell.column): cell.n for cell in cells}
    papers = sorted({cell.paper_table for cell in cells if cell.paper_table})
    split_sets = sorted(set(splits.values()))
    title = (f'Mean ± std over splits x seeds (splits {" / ".join(str(list(s)) for s in split_sets)}; seeds '
             f'{list(seeds)}; std over all runs of a cell, ddof=0); values in %'
             + (f'; (x) = the published number: {"; ".join(papers)}' if papers else ''))
    header = ['Method'] + [f'{column} {metric.label}' for column in columns for metric in metrics[column]]
    body = [[row] + [_cell_text(lookup.get((row, column, metric))) for column in columns
                     for metric in metrics[column]] for row in rows]
    lines = [title, ''] + _markdown_rows(header, body, ['---'] + ['---:'] * (len(header) - 1))
    notes = sorted({cell.paper_note for cell in cells if cell.paper_note})
    if notes:
        lines += ['', f'{NOT_COMPARABLE} The published number is not comparable with ours:', '']
        lines += [f'- {note}' for note in notes]
    marked = other_code_lines([text for cell in cells for text in cell.other_code])
    if marked:
        lines += [''] + marked
    lines += ['', statistics_note(cells)]
    count_rows = [[row] + [str(counts.get((row, column), 0)) for column in columns] for row in rows]
    lines += ['', 'Runs per cell (finished runs: splits x seeds):', '']
    lines += _markdown_rows(['Method'] + columns, count_rows, ['---'] + ['---:'] * len(columns))
    return '\n'.join(lines) + '\n'


CSV_FIELDS = ('method', 'dataset', 'metric', 'mean', 'std', 'n', 'paper', 'paper_note', 'config', 'other_code')


def write_csv(cells: Sequence[Cell], path: str) -> None:
    """One line per cell: method, dataset, metric (without ``osr/``), mean, std (ddof=0), n, paper ('' for none),
    paper_note (why the paper's number is not comparable; '' when it is), config, other_code (the code versions of
    its runs trained by other code than the table's, ``; ``-separated; '' when none); full float precision."""
    with open(path, 'w', newline='') as file:
        writer = csv.writer(file)
        writer.writerow(CSV_FIELDS)
        for cell in cells:
            writer.writerow([cell.row, cell.column, cell.metric.key[len('osr/'):], repr(cell.mean), repr(cell.std),
                             cell.n, '' if cell.paper is None else cell.paper, cell.paper_note, cell.config,
                             '; '.join(cell.other_code)])


# ------------------------------------------------------------------------------------------------ main
def main(argv=None):
    args = parse_args(argv)
    if len(set(map(osp.abspath, args.configs))) != len(args.configs):
        raise ValueError(f'A config is listed twice: {args.configs}')
    methods = [describe(config) for config in args.configs]
    methods = [method._replace(row=row or method.row, column=column or method.column) for method, row, column in
               zip(methods, args.rows or [None] * len(methods), args.columns or [None] * len(methods))]
    check_cells_unique(methods)
    splits = {method.config: choose_splits(method, args.splits) for method in methods}
    planned = plan_runs(methods, splits, args.seeds, args.cfg_options, args.work_dir)
    runs = queue_order([run for _, run in planned])
    jobs = args.jobs or (len(runs) if args.launcher == 'slurm' else default_local_jobs())
    launcher = (SlurmLauncher(SLURM_TRAIN, args.partition) if args.launcher == 'slurm' else
                LocalLauncher(TRAIN, threads_per_job(jobs)))

    with exclusive_lock(osp.join(args.work_dir, '.table.lock'), f'The work dir {args.work_dir}'):
        progress = ProgressBar(len(runs), file=sys.stderr)

        def on_outcome(outcome):
            progress.update()
            if not outcome.ok:
                print(f'\n{outcome.run.label} failed: {outcome.error}', file=sys.stderr)

        notify = lambda text: print(f'\n{text}', file=sys.stderr, flush=True)  # noqa: E731
        outcomes = {outcome.run.key: outcome for outcome in run_queue(
            runs, launcher, jobs, on_outcome, rerun_other_code=args.rerun_other_code, notify=notify)}
        results: Dict[str, List[Outcome]] = {}
        incomplete = []
        for method, run in planned:
            outcome = outcomes[run.key]
            if not outcome.ok:
                continue
            missing = [metric.key for metric in method.metrics if metric.key not in outcome.metrics]
            if missing:  # left out of the table, like a failed run
                incomplete.append(f'{run.label}: its last validation logged no {missing} (see {run.log})')
                continue
            try:
                for metric in method.metrics:
                    metric_value(metric, outcome.record)
            except ValueError as error:
                incomplete.append(f'{run.label}: {error}')
                continue
            results.setdefault(method.config, []).append(outcome)
        cells = aggregate(methods, results)
        report = '\n'.join(filter(None, [failure_report(list(outcomes.values())),
                                          *(f'Left out of the table: {line}' for line in incomplete)]))
        if not cells:
            sys.exit((report + '\n' if report else '') + 'No run finished: no table written.')
        table = format_markdown(cells, splits, args.seeds)
        print('\n' + table + '\n' + summary_line(list(outcomes.values())))
        out_md = args.out_md or osp.join(args.work_dir, 'benchmark_table.md')
        out_csv = args.out_csv or osp.join(args.work_dir, 'benchmark_table.csv')
        for path in (out_md, out_csv):
            os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        with open(out_md, 'w') as file:
            file.write(table)
        write_csv(cells, out_csv)
    if report:
        sys.exit(report)


if __name__ == '__main__':
    run_tool(main)
