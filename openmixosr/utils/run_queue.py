"""A queue of training runs for the tools that train many configs (``tools/benchmark_table.py``,
``tools/reproduce_ablation.py``, ``tools/linear_eval_table.py``).

A run is ``tools/train.py CONFIG --work-dir WORK_DIR --run-record WORK_DIR/run_record.json --cfg-options
randomness.seed=SEED OPTIONS...`` in its own process (log: ``WORK_DIR/train.log``; ``tools/dist_train.sh`` when it
trains on several processes). A run may depend on a *source* run (a distiller on its teacher, a linear evaluation on
its pre-training): it starts after the source finished and receives the source's last checkpoint as
``SOURCE_OPTION=PATH`` (``model.teacher_checkpoint``, ``pretrained``).

- **Identity and records.** A run's identity (:mod:`openmixosr.utils.run_record`) is its config (relative to the
  project, and the digest of its content), seed, options, processes and total batch, and the content digest of every
  file it consumes (its source's checkpoint included). The attempt the queue launched writes its own record
  (:class:`~openmixosr.engine.hooks.RunRecordHook`); the queue checks that its last validation is at its last epoch,
  and keeps it as ``WORK_DIR/metrics.json`` (atomically) with the identity.
- **Finished runs are skipped** when their record holds the same identity and matches the attempt's log; a run whose
  consumed files changed (a teacher trained again) is trained again; a record of other settings (another config
  content, seed, options, processes or batch) is a RuntimeError, raised before anything trains when the identity is
  known then (runs whose source has finished). A run trained by other code (package sources, library versions) is
  taken and marked by the tables, or trained again with ``rerun_other_code``.
- **One process per run.** The queue holds a lock on each run's work dir (``WORK_DIR/.lock``) while it checks,
  trains and records it: a second command on the same work dirs waits for the run and then takes its record. Every
  training process receives ``SIGTERM`` when the queue's process dies, however it dies
  (:mod:`openmixosr.utils.child_process`).
- **Scheduling.** At most ``jobs`` runs at once. A run is handed to the pool only after its source has finished, so
  no run in the pool ever waits for another: every run in flight finishes on its own and the queue cannot deadlock.
  Of the runs that may start, the earliest in :func:`queue_order` starts first: sources, then runs without a source,
  then the runs that depend on a source.
- **Failures.** A run that exits non-zero, writes no record, or whose last validation is not at its last epoch fails;
  the runs depending on it fail without starting; every other run goes on. The caller reports
  :func:`failure_report` and exits non-zero; failed runs have no metrics and never reach a table.
- **Launchers.** :class:`LocalLauncher` runs ``python tools/train.py`` on this machine with ``OMP_NUM_THREADS`` set by
  :func:`threads_per_job`; :class:`SlurmLauncher` runs ``bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR
  ...`` with ``GPUS`` = the run's processes, whose ``srun`` blocks until the job ends, so the same queue submits and
  waits.

Also here, for the tools that build the runs: :func:`recipe_world_size` (the processes a recipe's total batch
implies).
"""
import os
import os.path as osp
import subprocess
import sys
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from .checkpoint_io import resolve_checkpoint
from .child_process import run_tied
from .file_lock import exclusive_lock
from .run_record import (FINISHED, RunRecordError, attempt_result, check_against_log, current_code, other_code,
                         reusable_record, run_identity, write_finished)

LOG = 'train.log'
#: Written by the attempt the queue launched (``tools/train.py --run-record``), read and removed by the queue.
RUN_RECORD = 'run_record.json'
LOCK = '.lock'
TEACHER_OPTION = 'model.teacher_checkpoint'


@dataclass(frozen=True)
class Run:
    """One training run.

    Args:
        config (str): The config file.
        work_dir (str): Its work dir (one per run: the dir identifies the run in the queue).
        seed (int): ``randomness.seed``.
        options (tuple[str]): More ``--cfg-options`` (``key=value`` strings).
        source (Run, optional): The run whose last checkpoint this run consumes, as ``source_option=PATH``.
        source_option (str): The config key that receives the source's checkpoint. Defaults to
            ``model.teacher_checkpoint`` (a distiller's teacher).
        name (str): What reports and Slurm job names call the run (default: the work dir).
        world_size (int): Processes the run trains with (``tools/dist_train.sh`` / Slurm tasks when > 1).
        validated (bool): Whether the run validates and has metrics (False for a run that only produces a
            checkpoint for others, e.g. a self-supervised pre-training).
    """
    config: str
    work_dir: str
    seed: int = 0
    options: Tuple[str, ...] = ()
    source: Optional['Run'] = None
    source_option: str = TEACHER_OPTION
    name: str = ''
    world_size: int = 1
    validated: bool = True

    def __post_init__(self):
        object.__setattr__(self, 'options', tuple(self.options))
        if self.world_size < 1:
            raise ValueError(f'world_size must be >= 1, got {self.world_size}')

    @property
    def key(self) -> str:
        return osp.abspath(self.work_dir)

    @property
    def label(self) -> str:
        return self.name or self.work_dir

    @property
    def log(self) -> str:
        return osp.join(self.work_dir, LOG)

    @property
    def record_path(self) -> str:
        return osp.join(self.work_dir, RUN_RECORD)

    def input_options(self, source_checkpoint: Optional[str]) -> Tuple[str, ...]:
        """The option that hands the source's checkpoint over (none without a source)."""
        return () if source_checkpoint is None else (f'{self.source_option}={source_checkpoint}', )

    def identity(self, source_checkpoint: Optional[str] = None) -> dict:
        """:func:`~openmixosr.utils.run_record.run_identity` of the run, read from the files as they are now."""
        return run_identity(self.config, self.seed, self.options, self.world_size,
                            self.input_options(source_checkpoint))

    def same_as(self, other: 'Run') -> bool:
        """Whether two runs train the same thing (names aside)."""
        def what(run):
            return (osp.abspath(run.config), run.seed, run.options, run.world_size, run.source_option,
                    run.validated, None if run.source is None else run.source.key)
        return what(self) == what(other)


@dataclass
class Outcome:
    """How a run ended: ``record`` when it finished (now, or before: ``trained=False``), ``error`` when it failed;
    ``other_code`` names the code it was trained by when that is not the current code."""
    run: Run
    record: Optional[dict] = None
    error: Optional[str] = None
    trained: bool = False
    other_code: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def metrics(self) -> Optional[dict]:
        """The metrics of the run's last validation (at its last epoch)."""
        return None if self.record is None else self.record['metrics']


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


def recipe_world_size(cfg) -> int:
    """The processes (GPUs) a config's recipe implies: ``auto_scale_lr.base_batch_size`` (the recipe's total batch)
    over ``train_dataloader.batch_size`` (per process); 1 without ``auto_scale_lr``.

    Raises:
        ValueError: When the recipe's total batch is not a multiple of the batch per process.
    """
    base = (cfg.get('auto_scale_lr') or {}).get('base_batch_size')
    batch = cfg.train_dataloader.batch_size
    if base is None:
        return 1
    if base % batch:
        raise ValueError(f'{cfg.filename}: the recipe\'s total batch auto_scale_lr.base_batch_size={base} is not a '
                         f'multiple of train_dataloader.batch_size={batch}: no number of processes trains it. Fix '
                         'one of them.')
    return base // batch


# ------------------------------------------------------------------------------------------------ a run's files
def last_checkpoint(work_dir: str) -> str:
    """The checkpoint a run saved last (:func:`~openmixosr.utils.checkpoint_io.resolve_checkpoint` of its work dir).

    Raises:
        FileNotFoundError: When the run saved none.
    """
    if not osp.isdir(work_dir):
        raise FileNotFoundError(f'{work_dir} does not exist: the run saved no checkpoint.')
    return resolve_checkpoint(work_dir)


# ------------------------------------------------------------------------------------------------ launchers
def _run_logged(run: Run, command: List[str], env: dict) -> None:
    """Run ``command`` (tied to this process) with its output in ``run.log``; RuntimeError naming the log when it
    exits non-zero."""
    os.makedirs(run.work_dir, exist_ok=True)
    with open(run.log, 'w') as log:
        returncode = run_tied(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    if returncode != 0:
        raise RuntimeError(f'Training failed (exit code {returncode}: {" ".join(command)}); see {run.log}')


def _train_arguments(run: Run, options: Sequence[str]) -> List[str]:
    return ['--work-dir', run.work_dir, '--run-record', run.record_path, '--cfg-options',
            f'randomness.seed={run.seed}', *options]


def _python() -> str:
    """The interpreter of the trainings: ``PYTHON`` from the environment (what the launch scripts use), else this
    one."""
    return os.environ.get('PYTHON', sys.executable)


@dataclass
class LocalLauncher:
    """``$PYTHON TRAIN_SCRIPT CONFIG --work-dir WORK_DIR --run-record RECORD --cfg-options randomness.seed=SEED
    OPTIONS...`` on this machine (``bash tools/dist_train.sh CONFIG N ...`` for a run of N processes, beside
    ``TRAIN_SCRIPT``; ``PYTHON`` from the environment as the launch scripts read it, else this interpreter), with
    ``OMP_NUM_THREADS=threads`` when ``threads`` is given and the repository of ``TRAIN_SCRIPT`` first on
    ``PYTHONPATH`` (as ``tools/dist_train.sh`` and ``tools/slurm_train.sh`` do: the script and the package of one
    checkout).

    Args:
        train_script (str): ``tools/train.py``.
        threads (int, optional): Torch threads of each run (:func:`threads_per_job`).
    """
    train_script: str
    threads: Optional[int] = None

    def command(self, run: Run, options: Sequence[str]) -> List[str]:
        if run.world_size > 1:
            dist_script = osp.join(osp.dirname(osp.abspath(self.train_script)), 'dist_train.sh')
            return ['bash', dist_script, run.config, str(run.world_size), *_train_arguments(run, options)]
        return [_python(), self.train_script, run.config, *_train_arguments(run, options)]

    def env(self) -> dict:
        repo = osp.dirname(osp.dirname(osp.abspath(self.train_script)))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [repo, os.environ.get('PYTHONPATH')])),
                   PYTHON=_python())
        if self.threads:
            env['OMP_NUM_THREADS'] = str(self.threads)
        return env

    def check(self, runs: Sequence[Run]) -> None:
        """Before anything is queued: a run of more processes than this machine's GPUs is refused (with GPUs)."""
        import torch
        wanted = max((run.world_size for run in runs), default=1)
        if torch.cuda.is_available() and wanted > torch.cuda.device_count():
            raise ValueError(f'A run needs {wanted} processes (its recipe\'s total batch) but this machine has '
                             f'{torch.cuda.device_count()} GPUs: use --launcher slurm, or a machine with more GPUs.')

    def launch(self, run: Run, options: Sequence[str]) -> None:
        """Train ``run`` with ``options`` (its log in ``run.log``); RuntimeError naming the log when it fails."""
        _run_logged(run, self.command(run, options), self.env())


def job_name(run: Run) -> str:
    """A Slurm job name from the run's name: letters, digits, ``.``, ``-`` and ``_``."""
    return ''.join(c if c.isalnum() or c in '.-_' else '_' for c in run.label).strip('_') or 'train'


#: GPUs per node of a Slurm job when the environment does not say (``GPUS_PER_NODE``).
SLURM_GPUS_PER_NODE = 8


@dataclass
class SlurmLauncher:
    """``bash SLURM_SCRIPT PARTITION JOB_NAME CONFIG WORK_DIR --run-record RECORD --cfg-options randomness.seed=SEED
    OPTIONS...`` (``tools/slurm_train.sh``: ``srun`` blocks until the job ends) with ``GPUS`` = the run's processes and
    ``GPUS_PER_NODE`` = at most :data:`SLURM_GPUS_PER_NODE` (``CPUS_PER_TASK`` and ``SRUN_ARGS`` pass through the
    environment). ``PYTHON`` defaults to this interpreter.

    Args:
        slurm_script (str): ``tools/slurm_train.sh``.
        partition (str): The Slurm partition.
    """
    slurm_script: str
    partition: str

    def command(self, run: Run, options: Sequence[str]) -> List[str]:
        return ['bash', self.slurm_script, self.partition, job_name(run), run.config, run.work_dir,
                *_train_arguments(run, options)[2:]]

    def env(self, run: Run) -> dict:
        per_node = int(os.environ.get('GPUS_PER_NODE', SLURM_GPUS_PER_NODE))
        return dict(os.environ, PYTHON=_python(), GPUS=str(run.world_size),
                    GPUS_PER_NODE=str(min(per_node, run.world_size)))

    def check(self, runs: Sequence[Run]) -> None:
        """Before anything is queued: ``GPUS`` in the environment must not contradict the runs' recipes, and the
        partition must have GPUs (``sinfo``'s GRES), which ``tools/slurm_train.sh`` requests.

        Raises:
            ValueError: Otherwise, saying what to do.
        """
        given = os.environ.get('GPUS')
        sizes = sorted({run.world_size for run in runs})
        if given is not None and sizes != [int(given)]:
            raise ValueError(f'GPUS={given} is set, but the runs\' recipes need {sizes} GPUs each (auto_scale_lr.'
                             'base_batch_size / train_dataloader.batch_size): unset GPUS; the tool starts every run '
                             'on the GPUs its recipe implies.')
        try:
            result = subprocess.run(['sinfo', '--noheader', '--partition', self.partition, '--format', '%G'],
                                    capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError) as error:
            raise ValueError(f'--launcher slurm: cannot ask Slurm about partition {self.partition!r} (sinfo: '
                             f'{error}); run on a Slurm login node, or use --launcher local.') from error
        gres = result.stdout.split()
        if result.returncode != 0 or not gres:
            raise ValueError(f'--launcher slurm: sinfo knows no partition {self.partition!r} ({result.stderr.strip()}'
                             ').')
        if not any('gpu' in entry for entry in gres):
            raise ValueError(f'--launcher slurm: partition {self.partition!r} has no GPUs (GRES {gres}), and '
                             'tools/slurm_train.sh requests GPUs (--gres=gpu:N): use a GPU partition, or '
                             '--launcher local on a CPU machine.')

    def launch(self, run: Run, options: Sequence[str]) -> None:
        """Train ``run`` with ``options`` through Slurm (``srun``'s output in ``run.log``); RuntimeError naming the
        log when the job fails."""
        _run_logged(run, self.command(run, options), self.env(run))


# ------------------------------------------------------------------------------------------------ one run
def _remove(path: str) -> None:
    if osp.lexists(path):
        os.remove(path)


def train_run(run: Run, launcher, source_checkpoint: Optional[str] = None, current: Optional[dict] = None,
              rerun_other_code: bool = False, notify: Callable[[str], None] = print) -> Outcome:
    """Train ``run`` unless it finished before; its :class:`Outcome` (``trained`` says which). Holds the run's lock.

    Args:
        run (Run): The run.
        launcher: Anything with ``launch(run, options)`` (:class:`LocalLauncher`, :class:`SlurmLauncher`).
        source_checkpoint (str, optional): The source run's last checkpoint (runs with a source).
        current (dict, optional): :func:`~openmixosr.utils.run_record.current_code` (computed when None).
        rerun_other_code (bool): Train again a finished run of other code.
        notify (Callable): Where a notice goes (a finished run trained again, waiting for a lock).

    Raises:
        RuntimeError: When the training fails or writes no acceptable record, or the work dir holds a finished run
            of other settings (:class:`~openmixosr.utils.run_record.RunRecordError`).
    """
    current = current_code() if current is None else current
    with exclusive_lock(osp.join(run.work_dir, LOCK), f'The run {run.label}', notify):
        identity = run.identity(source_checkpoint)
        record, reason = reusable_record(run.work_dir, identity, current, rerun_other_code)
        if record is not None:
            return Outcome(run, record, other_code=other_code(record, current))
        if reason is not None:
            notify(f'{run.label}: trained again: {reason}.')
            _remove(osp.join(run.work_dir, FINISHED))
        _remove(run.record_path)
        launcher.launch(run, [*run.options, *run.input_options(source_checkpoint)])
        record = attempt_result(run.record_path, identity, run.validated)
        check_against_log(run.work_dir, record)
        write_finished(run.work_dir, record)
        _remove(run.record_path)
        return Outcome(run, record, trained=True, other_code=other_code(record, current))


def _attempt(run: Run, launcher, source_checkpoint: Optional[str], current: dict, rerun_other_code: bool,
             notify) -> Outcome:
    try:
        return train_run(run, launcher, source_checkpoint, current, rerun_other_code, notify)
    except Exception as error:  # a failed run is reported, not raised: the independent runs go on
        return Outcome(run, error=str(error))


# ------------------------------------------------------------------------------------------------ the queue
def _depth(run: Run) -> int:
    return 0 if run.source is None else 1 + _depth(run.source)


def queue_order(runs: Sequence[Run]) -> List[Run]:
    """The runs and their sources, each once, in the order the queue starts them: by depth (sources before the runs
    that consume them), within a depth the runs some other run depends on first, then the given order.

    Raises:
        ValueError: When two different runs share a work dir.
    """
    by_key: Dict[str, Run] = {}

    def add(run: Run) -> None:
        if run.source is not None:
            add(run.source)
        known = by_key.setdefault(run.key, run)
        if not known.same_as(run):
            raise ValueError(f'Two different runs share the work dir {run.work_dir}: {known} and {run}.')

    for run in runs:
        add(run)
    sources = {run.source.key for run in by_key.values() if run.source is not None}
    return sorted(by_key.values(), key=lambda run: (_depth(run), run.key not in sources))


def _finished_source_checkpoint(run: Run, finished: set) -> Tuple[bool, Optional[str]]:
    """Whether the identity of ``run`` is known now, and its source's checkpoint."""
    if run.source is None:
        return True, None
    if run.source.key not in finished:
        return False, None
    try:
        return True, last_checkpoint(run.source.work_dir)
    except FileNotFoundError:
        return False, None


def check_total_batches(runs: Sequence[Run]) -> None:
    """Refuse, before anything is queued, a run whose total batch (processes x batch per process, its options merged)
    is not its recipe's: ``tools/train.py`` would refuse it only when it starts (a Slurm job: once it has waited in the
    queue), and the other runs would go on without it.

    Raises:
        ValueError: Naming each such run and what to change (:func:`~openmixosr.engine.start_checks.
            total_batch_problem`).
    """
    from openmixosr.engine.start_checks import total_batch_problem
    from .run_record import merged_config
    problems = [f'{run.label}: {problem}' for run in runs
                if (problem := total_batch_problem(merged_config(run.config, run.options), run.world_size))]
    if problems:
        raise ValueError('\n'.join(problems))


def check_finished_settings(runs: Sequence[Run], current: dict, rerun_other_code: bool = False) -> None:
    """Raise the :class:`~openmixosr.utils.run_record.RunRecordError` of a finished run of other settings before
    anything trains, for every run whose identity is known now (no source, or a source that finished with a
    checkpoint and will not be trained again). ``runs`` in :func:`queue_order`."""
    finished = set()
    for run in runs:
        known, checkpoint = _finished_source_checkpoint(run, finished)
        if not known:
            continue
        record, _ = reusable_record(run.work_dir, run.identity(checkpoint), current, rerun_other_code)
        if record is not None:
            finished.add(run.key)


def run_queue(runs: Sequence[Run], launcher, jobs: int, on_outcome: Optional[Callable[[Outcome], None]] = None,
              rerun_other_code: bool = False, notify: Callable[[str], None] = print) -> List[Outcome]:
    """Train the runs (and their sources), ``jobs`` at once, each after its source; see the module docstring.

    Args:
        runs (Sequence[Run]): The runs; a source is added when only the runs consuming it are given.
        launcher: :class:`LocalLauncher`, :class:`SlurmLauncher` or anything with ``launch(run, options)`` (and
            optionally ``check(runs)``, called before anything is queued).
        jobs (int): Runs at once.
        on_outcome (Callable, optional): Called (in this thread) with each :class:`Outcome` as the run ends.
        rerun_other_code (bool): Train again the finished runs of other code (else they are taken, and marked).
        notify (Callable): Where notices go (a run trained again, a lock waited for).

    Returns:
        list[Outcome]: One per run, in :func:`queue_order`.

    Raises:
        RuntimeError: Before anything trains, when a work dir holds a finished run of other settings.
        ValueError: When the launcher refuses the runs (:meth:`SlurmLauncher.check`), or a run's total batch is not
            its recipe's (:func:`check_total_batches`).
    """
    if jobs < 1:
        raise ValueError(f'--jobs must be >= 1, got {jobs}')
    order = queue_order(runs)
    if hasattr(launcher, 'check'):
        launcher.check(order)
    check_total_batches(order)
    current = current_code()
    check_finished_settings(order, current, rerun_other_code)
    outcomes: Dict[str, Outcome] = {}

    def finish(outcome: Outcome) -> None:
        outcomes[outcome.run.key] = outcome
        if on_outcome is not None:
            on_outcome(outcome)

    waiting, running = list(order), {}
    with ThreadPoolExecutor(jobs) as pool:
        while waiting or running:
            # Start what may start: a run whose source has ended. When nothing runs, the waiting run of least depth
            # has its source ended (or has none), so every pass starts or ends a run: no deadlock, no idle loop.
            for run in [run for run in waiting if run.source is None or run.source.key in outcomes]:
                if len(running) == jobs:
                    break
                waiting.remove(run)
                source = outcomes[run.source.key] if run.source is not None else None
                if source is not None and not source.ok:
                    finish(Outcome(run, error=f'not run: its source run {source.run.label} failed'))
                    continue
                try:
                    checkpoint = None if source is None else last_checkpoint(source.run.work_dir)
                except FileNotFoundError as error:
                    finish(Outcome(run, error=f'not run: {error}'))
                    continue
                running[pool.submit(_attempt, run, launcher, checkpoint, current, rerun_other_code, notify)] = run
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


def summary_line(outcomes: Sequence[Outcome]) -> str:
    trained = sum(outcome.trained for outcome in outcomes)
    failed = sum(not outcome.ok for outcome in outcomes)
    return (f'{len(outcomes)} runs: {trained} trained, {len(outcomes) - trained - failed} finished before (skipped), '
            f'{failed} failed')


__all__ = ['DEFAULT_MAX_JOBS', 'LocalLauncher', 'Outcome', 'Run', 'RunRecordError', 'SlurmLauncher',
           'check_finished_settings', 'check_total_batches', 'default_local_jobs', 'failure_report', 'job_name',
           'last_checkpoint', 'queue_order', 'recipe_world_size', 'run_queue', 'summary_line',
           'threads_per_job', 'train_run', 'usable_cores']
