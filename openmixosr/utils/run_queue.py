"""A queue of training runs for the tools that train many configs (``tools/benchmark_table.py``,
``tools/reproduce_ablation.py``).

A run is ``tools/train.py CONFIG --work-dir WORK_DIR --cfg-options randomness.seed=SEED OPTIONS...`` in its own
process (log: ``WORK_DIR/train.log``). A run may depend on a teacher run: it starts after the teacher finished and
receives the teacher's last checkpoint as ``model.teacher_checkpoint=...`` (the last of its options).

- **Finished runs are skipped.** A run that ends with validation metrics leaves ``WORK_DIR/metrics.json``:
  ``{"settings": {"config": absolute path, "config_digest": SHA-256 of its merged content, "seed": int, "options":
  [...]}, "metrics": last validation record}``. A run whose ``metrics.json`` holds the same settings is not run
  again, so an interrupted queue continues where it stopped (an unfinished run starts again from its first epoch).
  A ``metrics.json`` of other settings (or of a config edited since) is a RuntimeError, raised before anything
  trains when the settings are known then (runs whose teacher has finished). It is written atomically.
- **Scheduling.** At most ``jobs`` runs at once. A run is handed to the pool only after its teacher has finished, so
  no run in the pool ever waits for another: every run in flight finishes on its own and the queue cannot deadlock.
  Of the runs that may start, the earliest in :func:`queue_order` starts first: teachers, then runs without a teacher,
  then their students.
- **Failures.** A run that exits non-zero or logs no validation metrics fails; its students fail without starting;
  every other run goes on. The caller reports :func:`failure_report` and exits non-zero; failed runs have no metrics
  and never reach a table.
- **Launchers.** :class:`LocalLauncher` runs ``python tools/train.py`` on this machine with ``OMP_NUM_THREADS`` set by
  :func:`threads_per_job`; :class:`SlurmLauncher` runs ``bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR
  --cfg-options ...``, whose ``srun`` blocks until the job ends, so the same queue submits and waits.

Also here, for the tools that build the runs: :func:`config_reference` (a config path such as ``teacher_config``,
relative to the file that sets it) and :func:`mean_std` (mean and population std, ddof=0, of the runs' metrics).
"""
import ast
import hashlib
import json
import os
import os.path as osp
import subprocess
import sys
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import lru_cache
from glob import glob
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

FINISHED = 'metrics.json'
LOG = 'train.log'
#: The entry of a validation record in MMEngine's ``vis_data/scalars.json``.
VALIDATION_KEY = 'osr/accuracy'


@dataclass(frozen=True)
class Run:
    """One training run.

    Args:
        config (str): The config file.
        work_dir (str): Its work dir (one per run: the dir identifies the run in the queue).
        seed (int): ``randomness.seed``.
        options (tuple[str]): More ``--cfg-options`` (``key=value`` strings).
        teacher (Run, optional): The run whose last checkpoint becomes ``model.teacher_checkpoint``.
        name (str): What reports and Slurm job names call the run (default: the work dir).
    """
    config: str
    work_dir: str
    seed: int = 0
    options: Tuple[str, ...] = ()
    teacher: Optional['Run'] = None
    name: str = ''

    def __post_init__(self):
        object.__setattr__(self, 'options', tuple(self.options))

    @property
    def key(self) -> str:
        return osp.abspath(self.work_dir)

    @property
    def label(self) -> str:
        return self.name or self.work_dir

    @property
    def log(self) -> str:
        return osp.join(self.work_dir, LOG)

    def settings(self, teacher_checkpoint: Optional[str] = None) -> dict:
        """What ``metrics.json`` records: the config, a digest of its content (its ``_base_`` files merged in), the
        seed and the options the run trains with."""
        options = list(self.options)
        if teacher_checkpoint is not None:
            options.append(f'model.teacher_checkpoint={teacher_checkpoint}')
        return dict(config=osp.abspath(self.config), config_digest=config_digest(self.config), seed=self.seed,
                    options=options)

    def same_as(self, other: 'Run') -> bool:
        """Whether two runs train the same thing (names aside)."""
        teacher = lambda run: None if run.teacher is None else run.teacher.key  # noqa: E731
        return self.settings() == other.settings() and teacher(self) == teacher(other)


@dataclass
class Outcome:
    """How a run ended: ``metrics`` when it finished (now, or before: ``trained=False``), ``error`` when it failed."""
    run: Run
    metrics: Optional[dict] = None
    error: Optional[str] = None
    trained: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@lru_cache(maxsize=None)
def config_digest(config: str) -> str:
    """SHA-256 of a config's merged content (every ``_base_`` file included): a finished run of a config edited since
    then does not pass for a run of the new one."""
    from mmengine.config import Config
    content = json.dumps(Config.fromfile(config).to_dict(), sort_keys=True, default=repr)
    return hashlib.sha256(content.encode()).hexdigest()


# ------------------------------------------------------------------------------------------------ threads and cores
def usable_cores() -> int:
    """The cores this process may run on (``os.sched_getaffinity``: a container's or ``taskset``'s limit), else
    ``os.cpu_count()``."""
    if hasattr(os, 'sched_getaffinity'):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def threads_per_job(jobs: int, cores: Optional[int] = None) -> Optional[int]:
    """``cores // jobs`` (at least 1) when several runs share the CPU; None (torch's default) for one run.

    Raises:
        ValueError: For ``jobs < 1``.
    """
    if jobs < 1:
        raise ValueError(f'--jobs must be >= 1, got {jobs}')
    if jobs == 1:
        return None
    return max(1, (usable_cores() if cores is None else cores) // jobs)


#: At most this many runs at once by default: one run per core is measured to pay off for the small CPU models on 2
#: cores; on a large CPU-only machine many ResNet runs (each with its data loader workers) would oversubscribe it.
DEFAULT_MAX_JOBS = 4


def default_local_jobs() -> int:
    """Runs at once on this machine when the user does not say: one single-thread run per usable core (at most
    :data:`DEFAULT_MAX_JOBS`) on a CPU-only machine, as small CPU runs finish sooner side by side than multi-threaded
    one after another; one run at a time when a GPU is there (runs would share it)."""
    import torch
    return 1 if torch.cuda.is_available() else min(usable_cores(), DEFAULT_MAX_JOBS)


# ------------------------------------------------------------------------------------------------ a run's files
def last_metrics(work_dir: str) -> dict:
    """The last validation record a run logged (MMEngine's ``<timestamp>/vis_data/scalars.json``).

    Raises:
        RuntimeError: When the run logged no validation record.
    """
    metrics = None
    for path in sorted(glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as file:
            for line in file:
                record = json.loads(line)
                if VALIDATION_KEY in record:
                    metrics = record
    if metrics is None:
        raise RuntimeError(f'No validation metrics found under {work_dir}; see the log there.')
    return metrics


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint a run saved last (MMEngine's ``last_checkpoint`` file).

    Raises:
        FileNotFoundError: When the run saved none.
    """
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{work_dir} has no last_checkpoint: the run saved no checkpoint (see its log).')
    with open(path) as file:
        return file.read().strip()


def finished_metrics(work_dir: str, settings: dict) -> Optional[dict]:
    """The metrics of a run finished in ``work_dir`` with ``settings``; None when none finished there.

    Raises:
        RuntimeError: When ``work_dir`` holds a finished run of other settings.
    """
    path = osp.join(work_dir, FINISHED)
    if not osp.isfile(path):
        return None
    try:
        with open(path) as file:
            record = json.load(file)
        recorded, metrics = record['settings'], record['metrics']
    except (ValueError, KeyError, TypeError) as error:
        raise RuntimeError(f'{path} is not a record of a finished run ({type(error).__name__}: {error}): delete it '
                           'to train the run again.') from error
    if recorded != settings:
        changed = sorted(key for key in set(recorded) | set(settings) if recorded.get(key) != settings.get(key))
        raise RuntimeError(f'{work_dir} holds a finished run of other settings (differing: {changed}; recorded '
                           f'{recorded}, now {settings}; a changed `config_digest` means the config or one of its '
                           '_base_ files was edited since): pass another --work-dir, or delete that run to train it '
                           'again.')
    return metrics


def record_finished(work_dir: str, settings: dict, metrics: dict) -> None:
    """Write ``metrics.json`` atomically (a run stopped while writing leaves no half file behind)."""
    path = osp.join(work_dir, FINISHED)
    with open(path + '.tmp', 'w') as file:
        json.dump(dict(settings=settings, metrics=metrics), file)
    os.replace(path + '.tmp', path)


# ------------------------------------------------------------------------------------------------ config references
def _top_level_assignments(path: str) -> Dict[str, ast.expr]:
    with open(path) as file:
        tree = ast.parse(file.read(), filename=path)
    assigned = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Name):
                assigned[target.id] = node.value
    return assigned


def setting_file(config: str, key: str) -> Optional[str]:
    """The file that sets the top-level ``key`` of a config: the config itself, else the first of its ``_base_``
    files (depth first, in order) that does; None when none does.

    A path in a config (``teacher_config = '../baselines/ce_r50_svhn.py'``) is relative to the file that sets it; a
    config that inherits it from another directory (``configs/asym/ablation/x.py`` with ``_base_ =
    ['../r18_digits.py']``) must resolve it from there, not from its own directory.
    """
    assigned = _top_level_assignments(config)
    if key in assigned:
        return config
    bases = ast.literal_eval(assigned['_base_']) if '_base_' in assigned else []
    for base in [bases] if isinstance(bases, str) else bases:
        if '::' in base:  # a file of another package: not a path of this repository
            continue
        found = setting_file(osp.normpath(osp.join(osp.dirname(config), base)), key)
        if found is not None:
            return found
    return None


def config_reference(config: str, key: str, value: Optional[str] = None) -> Optional[str]:
    """The path a top-level key of a config names (``teacher_config``, a row of ``ablation_rows``), resolved relative
    to the file that sets the key (:func:`setting_file`); ``value`` is the path (default: the config's value of key).
    None when the config does not set the key."""
    from mmengine.config import Config
    source = setting_file(config, key)
    if source is None:
        return None
    value = Config.fromfile(config)[key] if value is None else value
    return osp.normpath(osp.join(osp.dirname(osp.abspath(source)), value))


# ------------------------------------------------------------------------------------------------ launchers
def _run_logged(run: Run, command: List[str], env: dict) -> None:
    """Run ``command`` with its output in ``run.log``; RuntimeError naming the log when it exits non-zero."""
    os.makedirs(run.work_dir, exist_ok=True)
    with open(run.log, 'w') as log:
        returncode = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
    if returncode != 0:
        raise RuntimeError(f'Training failed (exit code {returncode}: {" ".join(command)}); see {run.log}')


@dataclass
class LocalLauncher:
    """``python TRAIN_SCRIPT CONFIG --work-dir WORK_DIR --cfg-options randomness.seed=SEED OPTIONS...`` on this
    machine, with ``OMP_NUM_THREADS=threads`` when ``threads`` is given and the repository of ``TRAIN_SCRIPT`` first on
    ``PYTHONPATH`` (as ``tools/dist_train.sh`` and ``tools/slurm_train.sh`` do: the script and the package of one
    checkout).

    Args:
        train_script (str): ``tools/train.py``.
        threads (int, optional): Torch threads of each run (:func:`threads_per_job`).
    """
    train_script: str
    threads: Optional[int] = None

    def command(self, run: Run, options: Sequence[str]) -> List[str]:
        return [sys.executable, self.train_script, run.config, '--work-dir', run.work_dir, '--cfg-options',
                f'randomness.seed={run.seed}', *options]

    def env(self) -> dict:
        repo = osp.dirname(osp.dirname(osp.abspath(self.train_script)))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [repo, os.environ.get('PYTHONPATH')])))
        if self.threads:
            env['OMP_NUM_THREADS'] = str(self.threads)
        return env

    def launch(self, run: Run, options: Sequence[str]) -> None:
        """Train ``run`` with ``options`` (its log in ``run.log``); RuntimeError naming the log when it fails."""
        _run_logged(run, self.command(run, options), self.env())


def job_name(run: Run) -> str:
    """A Slurm job name from the run's name: letters, digits, ``.``, ``-`` and ``_``."""
    return ''.join(c if c.isalnum() or c in '.-_' else '_' for c in run.label).strip('_') or 'train'


@dataclass
class SlurmLauncher:
    """``bash SLURM_SCRIPT PARTITION JOB_NAME CONFIG WORK_DIR --cfg-options randomness.seed=SEED OPTIONS...``
    (``tools/slurm_train.sh``: ``srun`` blocks until the job ends; ``GPUS``, ``GPUS_PER_NODE``, ``CPUS_PER_TASK`` and
    ``SRUN_ARGS`` pass through the environment). ``PYTHON`` defaults to this interpreter.

    Args:
        slurm_script (str): ``tools/slurm_train.sh``.
        partition (str): The Slurm partition.
    """
    slurm_script: str
    partition: str

    def command(self, run: Run, options: Sequence[str]) -> List[str]:
        return ['bash', self.slurm_script, self.partition, job_name(run), run.config, run.work_dir, '--cfg-options',
                f'randomness.seed={run.seed}', *options]

    def env(self) -> dict:
        return dict(os.environ, PYTHON=os.environ.get('PYTHON', sys.executable))

    def launch(self, run: Run, options: Sequence[str]) -> None:
        """Train ``run`` with ``options`` through Slurm (``srun``'s output in ``run.log``); RuntimeError naming the
        log when the job fails."""
        _run_logged(run, self.command(run, options), self.env())


# ------------------------------------------------------------------------------------------------ one run
def train_run(run: Run, launcher, teacher_checkpoint: Optional[str] = None) -> Outcome:
    """Train ``run`` unless it finished before; its :class:`Outcome` (``trained`` says which).

    Raises:
        RuntimeError: When the training fails, logs no validation metrics, or the work dir holds a finished run of
            other settings.
    """
    settings = run.settings(teacher_checkpoint)
    metrics = finished_metrics(run.work_dir, settings)
    if metrics is not None:
        return Outcome(run, metrics)
    launcher.launch(run, settings['options'])
    metrics = last_metrics(run.work_dir)
    record_finished(run.work_dir, settings, metrics)
    return Outcome(run, metrics, trained=True)


def _attempt(run: Run, launcher, teacher_checkpoint: Optional[str]) -> Outcome:
    try:
        return train_run(run, launcher, teacher_checkpoint)
    except Exception as error:  # a failed run is reported, not raised: the independent runs go on
        return Outcome(run, error=str(error))


# ------------------------------------------------------------------------------------------------ the queue
def _depth(run: Run) -> int:
    return 0 if run.teacher is None else 1 + _depth(run.teacher)


def queue_order(runs: Sequence[Run]) -> List[Run]:
    """The runs and their teachers, each once, in the order the queue starts them: by depth (teachers before
    students), within a depth the runs some other run depends on first, then the given order.

    Raises:
        ValueError: When two different runs share a work dir.
    """
    by_key: Dict[str, Run] = {}

    def add(run: Run) -> None:
        if run.teacher is not None:
            add(run.teacher)
        known = by_key.setdefault(run.key, run)
        if not known.same_as(run):
            raise ValueError(f'Two different runs share the work dir {run.work_dir}: {known} and {run}.')

    for run in runs:
        add(run)
    teachers = {run.teacher.key for run in by_key.values() if run.teacher is not None}
    return sorted(by_key.values(), key=lambda run: (_depth(run), run.key not in teachers))


def check_finished_settings(runs: Sequence[Run]) -> None:
    """Raise the RuntimeError of :func:`finished_metrics` before anything trains, for every run whose settings are
    known now (no teacher, or a teacher that finished with a checkpoint). ``runs`` in :func:`queue_order`."""
    finished = set()
    for run in runs:
        teacher_checkpoint = None
        if run.teacher is not None:
            if run.teacher.key not in finished:
                continue
            try:
                teacher_checkpoint = last_checkpoint(run.teacher.work_dir)
            except FileNotFoundError:
                continue
        if finished_metrics(run.work_dir, run.settings(teacher_checkpoint)) is not None:
            finished.add(run.key)


def run_queue(runs: Sequence[Run], launcher, jobs: int,
              on_outcome: Optional[Callable[[Outcome], None]] = None) -> List[Outcome]:
    """Train the runs (and their teachers), ``jobs`` at once, each after its teacher; see the module docstring.

    Args:
        runs (Sequence[Run]): The runs; a teacher is added when only its students are given.
        launcher: :class:`LocalLauncher`, :class:`SlurmLauncher` or anything with ``launch(run, options)``.
        jobs (int): Runs at once.
        on_outcome (Callable, optional): Called (in this thread) with each :class:`Outcome` as the run ends.

    Returns:
        list[Outcome]: One per run, in :func:`queue_order`.

    Raises:
        RuntimeError: Before anything trains, when a work dir holds a finished run of other settings.
    """
    if jobs < 1:
        raise ValueError(f'--jobs must be >= 1, got {jobs}')
    order = queue_order(runs)
    check_finished_settings(order)
    outcomes: Dict[str, Outcome] = {}

    def finish(outcome: Outcome) -> None:
        outcomes[outcome.run.key] = outcome
        if on_outcome is not None:
            on_outcome(outcome)

    waiting, running = list(order), {}
    with ThreadPoolExecutor(jobs) as pool:
        while waiting or running:
            # Start what may start: a run whose teacher has ended. When nothing runs, the waiting run of least depth
            # has its teacher ended (or has none), so every pass starts or ends a run: no deadlock, no idle loop.
            for run in [run for run in waiting if run.teacher is None or run.teacher.key in outcomes]:
                if len(running) == jobs:
                    break
                waiting.remove(run)
                teacher = outcomes[run.teacher.key] if run.teacher is not None else None
                if teacher is not None and not teacher.ok:
                    finish(Outcome(run, error=f'not run: its teacher {teacher.run.label} failed'))
                    continue
                try:
                    checkpoint = None if teacher is None else last_checkpoint(teacher.run.work_dir)
                except FileNotFoundError as error:
                    finish(Outcome(run, error=f'not run: {error}'))
                    continue
                running[pool.submit(_attempt, run, launcher, checkpoint)] = run
            if running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    del running[future]
                    finish(future.result())
    return [outcomes[run.key] for run in order]


def failure_report(outcomes: Sequence[Outcome]) -> Optional[str]:
    """One line per failed run (its name, the error, which names its log), or None when none failed."""
    failed = [outcome for outcome in outcomes if not outcome.ok]
    if not failed:
        return None
    lines = [f'{len(failed)} of {len(outcomes)} runs failed (left out of the table):']
    lines += [f'  {outcome.run.label}: {outcome.error}' for outcome in failed]
    return '\n'.join(lines)


# ------------------------------------------------------------------------------------------------ summaries
def mean_std(values: Sequence[float]) -> Tuple[float, float, int]:
    """Mean, population standard deviation and count of the values: ``std = sqrt(sum((x - mean)^2) / n)``
    (``ddof=0``: the spread of the runs themselves, not an estimate of a larger population).

    Raises:
        ValueError: For no values.
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError('mean_std needs at least one value')
    return float(values.mean()), float(values.std()), int(values.size)


def format_mean_std(values: Sequence[float]) -> str:
    """``mean ± std`` with 2 decimals, or the value alone for one value."""
    mean, std, n = mean_std(values)
    return f'{mean:.2f} ± {std:.2f}' if n > 1 else f'{mean:.2f}'


#: Columns of :func:`format_seed_table`: (header, metric of the run) and (header, key of a paper row's results).
SEED_TABLE_METRICS = (('accuracy', 'osr/accuracy'), ('AUROC', 'osr/auroc'), ('OSCR', 'osr/oscr'))
SEED_TABLE_PAPER_METRICS = (('paper acc.', 'accuracy'), ('paper AUROC', 'auroc'), ('paper OSCR', 'oscr'))


def format_seed_table(results: Dict[str, List[dict]], title: str, paper: Optional[Dict[str, dict]] = None) -> str:
    """A plain-text table of one split's runs (``tools/reproduce_ablation.py``, ``tools/linear_eval_table.py``): one
    row per method, :func:`format_mean_std` over its runs (seeds) of accuracy, AUROC and OSCR (in %), then the
    paper's numbers if given.

    Args:
        results (dict): Method -> list of metric records (one per seed).
        title (str): First line.
        paper (dict, optional): Method -> the paper's published numbers (``accuracy``, ``auroc``, ``oscr``); a paper
            column is shown when any method has that number.
    """
    paper = paper or {}
    paper_columns = [(name, key) for name, key in SEED_TABLE_PAPER_METRICS
                     if any(key in numbers for numbers in paper.values())]
    header = ['method'] + [name for name, _ in SEED_TABLE_METRICS] + [name for name, _ in paper_columns]
    rows = []
    for method, runs in results.items():
        cells = [method]
        cells += [format_mean_std([run[key] for run in runs]) for _, key in SEED_TABLE_METRICS]
        numbers = paper.get(method, {})
        cells += [f'{numbers[key]:.2f}' if key in numbers else '' for _, key in paper_columns]
        rows.append(cells)
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    line = lambda cells: ' | '.join(c.ljust(w) for c, w in zip(cells, widths))  # noqa: E731
    rule = '-+-'.join('-' * w for w in widths)
    return '\n'.join([title, line(header), rule] + [line(row) for row in rows])


def summary_line(outcomes: Sequence[Outcome]) -> str:
    trained = sum(outcome.trained for outcome in outcomes)
    failed = sum(not outcome.ok for outcome in outcomes)
    return (f'{len(outcomes)} runs: {trained} trained, {len(outcomes) - trained - failed} finished before (skipped), '
            f'{failed} failed')
