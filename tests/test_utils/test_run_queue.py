"""openmixosr/utils/run_queue.py: scheduling, skipping finished runs, stale and refused runs, locks, launchers, and
children that die with the queue. No training: launchers write what ``tools/train.py --run-record`` leaves
(tests/helpers/fake_runs.py)."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from openmixosr.utils import run_queue as rq
from openmixosr.utils.run_record import RunRecordError, file_digest
from tests.helpers.fake_runs import write_attempt, write_config
from tests.helpers.run_tool import REPO_ROOT


class _RecordingLauncher:
    """Writes a finished attempt (metric ``osr/accuracy`` = the seed) after ``seconds``; records starts, ends and the
    most runs at once; fails the runs whose work dir ends with a name in ``fail``."""

    def __init__(self, seconds=0.05, fail=(), **attempt):
        self.seconds, self.fail, self.attempt = seconds, fail, attempt
        self.lock, self.running, self.most, self.events = threading.Lock(), 0, 0, []

    def launch(self, run, options):
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.events.append(('start', run.name, tuple(options)))
        time.sleep(self.seconds)
        with self.lock:
            self.running -= 1
            self.events.append(('end', run.name))
        if os.path.basename(run.work_dir) in self.fail:
            raise RuntimeError(f'Training failed (exit code 1: fake); see {run.log}')
        write_attempt(run, {'osr/accuracy': float(run.seed)}, **self.attempt)


def _runs(tmp_path, teachers=3, students=2):
    runs = []
    for t in range(teachers):
        teacher = rq.Run(write_config(tmp_path, 't.py'), str(tmp_path / f'teacher{t}'), 0, name=f'teacher{t}')
        runs += [rq.Run(write_config(tmp_path, 's.py'), str(tmp_path / f'student{t}_{s}'), s, source=teacher,
                        name=f'student{t}_{s}') for s in range(students)]
    return runs  # students only: the queue adds their teachers


@pytest.mark.parametrize('jobs', [1, 2, 4])
def test_queue_runs_at_most_jobs_at_once_and_each_student_after_its_teacher(tmp_path, jobs):
    launcher, seen = _RecordingLauncher(seconds=0.5), []  # long enough for every slot to fill on a busy machine
    outcomes = rq.run_queue(_runs(tmp_path), launcher, jobs, on_outcome=lambda o: seen.append(o.run.name))
    assert len(outcomes) == 9 and all(o.ok and o.trained for o in outcomes) and len(seen) == 9
    assert launcher.most == jobs
    events = launcher.events
    for t in range(3):
        teacher_end = events.index(('end', f'teacher{t}'))
        for s in range(2):
            start = next(i for i, e in enumerate(events) if e[:2] == ('start', f'student{t}_{s}'))
            assert start > teacher_end
            assert events[start][2] == (f'model.teacher_checkpoint={tmp_path}/teacher{t}/epoch_1.pth', )
    assert [o.run.name for o in outcomes[:3]] == ['teacher0', 'teacher1', 'teacher2']
    record = json.loads(open(os.path.join(outcomes[3].run.work_dir, 'metrics.json')).read())
    assert record['identity']['inputs'] == {'model.teacher_checkpoint': file_digest(
        f'{outcomes[3].run.source.work_dir}/epoch_1.pth')} and record['metrics'] == outcomes[3].metrics
    assert not os.path.exists(outcomes[3].run.record_path)  # the attempt's record is taken in and removed


def test_queue_reports_a_failed_teacher_and_runs_everything_else(tmp_path):
    launcher = _RecordingLauncher(fail=('teacher1', 'student2_0'))
    outcomes = {o.run.name: o for o in rq.run_queue(_runs(tmp_path), launcher, 2)}
    failed = sorted(name for name, o in outcomes.items() if not o.ok)
    assert failed == ['student1_0', 'student1_1', 'student2_0', 'teacher1']
    assert outcomes['student1_0'].error == 'not run: its source run teacher1 failed'
    assert f'see {tmp_path}/teacher1/train.log' in outcomes['teacher1'].error
    assert not any(e[1].startswith('student1') for e in launcher.events)  # never started
    report = rq.failure_report(list(outcomes.values()))
    assert report.startswith('4 of 9 runs failed') and 'student2_0: Training failed' in report
    assert outcomes['student2_1'].metrics['osr/accuracy'] == 1.0 and outcomes['student0_0'].ok


def test_queue_skips_finished_runs_and_refuses_other_settings_before_training(tmp_path):
    runs = _runs(tmp_path, teachers=1, students=2)
    rq.run_queue(runs, _RecordingLauncher(), 2)
    launcher = _RecordingLauncher()
    outcomes = rq.run_queue(runs, launcher, 2)
    assert launcher.events == [] and all(o.ok and not o.trained and o.other_code is None for o in outcomes)
    assert rq.summary_line(outcomes) == '3 runs: 0 trained, 3 finished before (skipped), 0 failed'
    changed = rq.Run(runs[1].config, runs[1].work_dir, 1, ('model.depth=2', ), runs[1].source, name='student0_1')
    with pytest.raises(RunRecordError, match=r"student0_1 holds a finished run of other settings \(differing: "
                                             r"\['options'\]"):
        rq.run_queue([rq.Run(write_config(tmp_path, 'other.py'), str(tmp_path / 'fresh')), changed], launcher, 2)
    assert launcher.events == []  # refused before anything trained
    with pytest.raises(ValueError, match='Two different runs share the work dir'):
        rq.queue_order([runs[0], rq.Run(runs[0].config, runs[0].work_dir, 5)])


def test_a_teacher_trained_again_makes_its_students_train_again(tmp_path):
    """The issue's stale student: the teacher's record is deleted (as the error about an edited config advises), it
    trains again (a checkpoint of new content), and its students are trained again instead of keeping the numbers
    distilled from the old teacher."""
    runs = _runs(tmp_path, teachers=1, students=2)
    rq.run_queue(runs, _RecordingLauncher(checkpoint_text='the first teacher'), 1)
    os.remove(os.path.join(runs[0].source.work_dir, 'metrics.json'))
    notices, launcher = [], _RecordingLauncher(checkpoint_text='the second teacher')
    outcomes = rq.run_queue(runs, launcher, 1, notify=notices.append)
    assert [e[1] for e in launcher.events if e[0] == 'start'] == ['teacher0', 'student0_0', 'student0_1']
    assert all(o.trained for o in outcomes)
    assert ('student0_0: trained again: the files it consumes changed since it was trained '
            '(model.teacher_checkpoint).') in notices
    again = _RecordingLauncher()
    assert all(not o.trained for o in rq.run_queue(runs, again, 1)) and again.events == []


def test_the_metrics_are_those_of_the_launched_attempt_at_its_last_epoch(tmp_path):
    """An earlier, interrupted attempt whose log dir sorts later (another time zone) is never read: the queue takes
    the record the launched attempt wrote; a record whose last validation is not at the last epoch is refused."""
    run = rq.Run(write_config(tmp_path, 'c.py'), str(tmp_path / 'run'))
    write_attempt(run, {'osr/auroc': 51.42}, epochs=1, log_dir='29990101_000000')  # the interrupted attempt's files
    os.remove(run.record_path)
    outcome = rq.train_run(run, _RecordingLauncher(seconds=0))
    assert outcome.metrics == {'osr/accuracy': 0.0} and outcome.record['log_dir'] == '20260101_000000'
    early = rq.Run(write_config(tmp_path, 'c.py'), str(tmp_path / 'early'))
    with pytest.raises(RunRecordError, match='last validation is at epoch 1, not at its last epoch 3'):
        rq.train_run(early, _RecordingLauncher(seconds=0, epochs=3, validated_epochs=[1]))
    assert not os.path.exists(os.path.join(early.work_dir, 'metrics.json'))
    quiet = rq.Run(write_config(tmp_path, 'c.py'), str(tmp_path / 'quiet'))
    with pytest.raises(RunRecordError, match='wrote no record'):
        rq.train_run(quiet, type('Launcher', (), {'launch': lambda self, run, options: None})())
    batch = rq.Run(write_config(tmp_path, 'c.py'), str(tmp_path / 'batch'))
    with pytest.raises(RunRecordError, match='trained with total_batch=256, but was launched for total_batch=4'):
        rq.train_run(batch, _RecordingLauncher(seconds=0, total_batch=256))


def test_a_run_of_other_code_is_marked_or_trained_again(tmp_path):
    run = rq.Run(write_config(tmp_path, 'c.py'), str(tmp_path / 'run'))
    rq.train_run(run, _RecordingLauncher(seconds=0))
    path = os.path.join(run.work_dir, 'metrics.json')
    record = json.loads(open(path).read())
    record['provenance']['code'] = dict(openmixosr='0.0.9', source_digest='0123456789abcdef' * 4, git='1dc1443' * 5)
    record['provenance']['libraries']['torch'] = '1.0.0'
    open(path, 'w').write(json.dumps(record))
    outcome = rq.train_run(run, _RecordingLauncher(seconds=0))
    assert not outcome.trained
    assert outcome.other_code == 'openmixosr 0.0.9, sources 0123456789ab, git 1dc1443; torch 1.0.0'
    launcher = _RecordingLauncher(seconds=0)
    outcome = rq.train_run(run, launcher, rerun_other_code=True)
    assert outcome.trained and outcome.other_code is None and launcher.events


def test_identity_names_the_config_relative_to_the_project_and_reads_its_content_when_the_run_starts(tmp_path):
    config = REPO_ROOT / 'configs/baselines/ce_r18w16_digits.py'
    run = rq.Run(str(config), str(tmp_path / 'run'), 3, ('split=2', ))
    identity = run.identity()
    assert identity['config'] == 'configs/baselines/ce_r18w16_digits.py'  # a re-cloned checkout keeps its runs
    assert (identity['seed'], identity['options'], identity['world_size'], identity['total_batch']) == (
        3, ['split=2'], 1, 64)
    edited = tmp_path / 'edited.py'
    edited.write_text(f"_base_ = ['{config}']\n")
    before = rq.Run(str(edited), str(tmp_path / 'e')).identity()['config_digest']
    edited.write_text(f"_base_ = ['{config}']\ntrain_cfg = dict(max_epochs=3)\n")
    assert rq.Run(str(edited), str(tmp_path / 'e')).identity()['config_digest'] != before  # never cached
    with pytest.raises(ValueError, match="'splt' is not a top-level key"):
        rq.Run(str(config), str(tmp_path / 'run'), 0, ('splt=2', )).identity()


def test_recipe_world_size_and_the_slurm_environment(tmp_path, monkeypatch):
    from mmengine.config import Config
    assert rq.recipe_world_size(Config(dict(train_dataloader=dict(batch_size=32)))) == 1
    assert rq.recipe_world_size(Config(dict(train_dataloader=dict(batch_size=32),
                                            auto_scale_lr=dict(base_batch_size=256)))) == 8
    with pytest.raises(ValueError, match='not a multiple'):
        rq.recipe_world_size(Config(dict(train_dataloader=dict(batch_size=48),
                                         auto_scale_lr=dict(base_batch_size=256))))
    monkeypatch.delenv('GPUS_PER_NODE', raising=False)
    launcher = rq.SlurmLauncher('tools/slurm_train.sh', 'gpu')
    env = launcher.env(rq.Run('c.py', 'w', world_size=16))
    assert (env['GPUS'], env['GPUS_PER_NODE']) == ('16', '8')
    assert launcher.env(rq.Run('c.py', 'w'))['GPUS'] == '1'
    monkeypatch.setenv('GPUS', '8')
    with pytest.raises(ValueError, match=r'GPUS=8 is set, but the runs. recipes need \[1\] GPUs'):
        launcher.check([rq.Run('c.py', 'w')])


def _fake_sinfo(tmp_path, monkeypatch, gres):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / 'sinfo').write_text(f'#!/usr/bin/env bash\necho "{gres}"\n')
    (bin_dir / 'sinfo').chmod(0o755)
    monkeypatch.setenv('PATH', f'{bin_dir}{os.pathsep}{os.environ["PATH"]}')


def test_slurm_on_a_partition_without_gpus_is_refused_before_anything_is_queued(tmp_path, monkeypatch):
    monkeypatch.delenv('GPUS', raising=False)
    launcher = _RecordingLauncher()
    slurm = rq.SlurmLauncher('tools/slurm_train.sh', 'cpu')
    slurm.launch = launcher.launch
    _fake_sinfo(tmp_path, monkeypatch, '(null)')
    with pytest.raises(ValueError, match=r"partition 'cpu' has no GPUs \(GRES \['\(null\)'\]\)"):
        rq.run_queue(_runs(tmp_path, 1, 1), slurm, 2)
    assert launcher.events == []
    _fake_sinfo(tmp_path, monkeypatch, 'gpu:a100:8')
    assert all(o.ok for o in rq.run_queue(_runs(tmp_path, 1, 1), slurm, 2))


def test_threads_cores_and_launcher_commands(monkeypatch):
    assert rq.threads_per_job(1, cores=8) is None and rq.threads_per_job(2, cores=5) == 2
    assert rq.threads_per_job(8, cores=2) == 1
    with pytest.raises(ValueError, match='--jobs must be >= 1'):
        rq.threads_per_job(0)
    if hasattr(os, 'sched_getaffinity'):
        monkeypatch.setattr(os, 'sched_getaffinity', lambda pid: {0, 3, 5})
        assert rq.usable_cores() == 3 and rq.threads_per_job(2) == 1
    run = rq.Run('configs/x.py', 'work/x/split3/seed1', 1, ('split=3', ), name='x split 3 seed 1 (teacher)')
    assert rq.SlurmLauncher('tools/slurm_train.sh', 'gpu').command(run, ['split=3', 'model.teacher_checkpoint=c']) == [
        'bash', 'tools/slurm_train.sh', 'gpu', 'x_split_3_seed_1__teacher', 'configs/x.py', 'work/x/split3/seed1',
        '--run-record', 'work/x/split3/seed1/run_record.json', '--cfg-options', 'randomness.seed=1', 'split=3',
        'model.teacher_checkpoint=c']
    local = rq.LocalLauncher(str(REPO_ROOT / 'tools/train.py'), threads=2)
    assert local.env()['OMP_NUM_THREADS'] == '2' and local.env()['PYTHONPATH'].split(os.pathsep)[0] == str(REPO_ROOT)
    assert local.command(run, ['split=3'])[1:3] == [str(REPO_ROOT / 'tools/train.py'), 'configs/x.py']
    # the interpreter of the trainings: PYTHON, as the launch scripts read it, else this one
    monkeypatch.delenv('PYTHON', raising=False)
    assert local.command(run, [])[0] == sys.executable and local.env()['PYTHON'] == sys.executable
    monkeypatch.setenv('PYTHON', '/opt/venv/bin/python')
    assert local.command(run, [])[0] == '/opt/venv/bin/python' and local.env()['PYTHON'] == '/opt/venv/bin/python'
    wide = rq.Run('configs/x.py', 'work/x', 0, world_size=2)
    assert local.command(wide, []) == ['bash', str(REPO_ROOT / 'tools/dist_train.sh'), 'configs/x.py', '2',
                                       '--work-dir', 'work/x', '--run-record', 'work/x/run_record.json',
                                       '--cfg-options', 'randomness.seed=0']


def test_two_queues_on_one_work_dir_never_train_a_run_twice(tmp_path):
    """The second command waits for the run the first one trains, then takes its record: every run trains once."""
    runs = _runs(tmp_path, teachers=1, students=1)
    first, second = _RecordingLauncher(seconds=1.0), _RecordingLauncher(seconds=1.0)
    notices, results = [], {}
    thread = threading.Thread(target=lambda: results.setdefault('first', rq.run_queue(runs, first, 1)))
    thread.start()
    time.sleep(0.3)  # the first queue holds the teacher's lock
    results['second'] = rq.run_queue(runs, second, 1, notify=notices.append)
    thread.join()
    starts = sorted(e[1] for launcher in (first, second) for e in launcher.events if e[0] == 'start')
    assert starts == ['student0_0', 'teacher0']
    assert all(o.ok for outcomes in results.values() for o in outcomes)
    assert results['first'][0].metrics == results['second'][0].metrics
    assert any('The run teacher0 is in use by process' in text and 'waiting' in text for text in notices)


FAKE_TRAIN = textwrap.dedent('''\
    import os, sys, time
    work_dir = sys.argv[sys.argv.index('--work-dir') + 1]
    os.makedirs(work_dir, exist_ok=True)
    with open(os.path.join(work_dir, 'pid'), 'w') as file:
        file.write(str(os.getpid()))
    time.sleep(120)
''')

QUEUE = textwrap.dedent('''\
    import sys
    from openmixosr.utils import run_queue as rq
    from tests.helpers.fake_runs import write_config
    config = write_config(sys.argv[2], 'c.py')
    rq.run_queue([rq.Run(config, sys.argv[2] + '/run')], rq.LocalLauncher(sys.argv[1]), 1)
''')


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f'/proc/{pid}/stat') as file:
        return file.read().split(')')[1].split()[0] != 'Z'  # a zombie has ended


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='the parent-death signal is Linux-only')
@pytest.mark.parametrize('how', [signal.SIGKILL, signal.SIGTERM])
def test_the_training_process_dies_with_the_queue(tmp_path, how):
    """``kill -9`` (or ``timeout``'s SIGTERM) of the table tool leaves no training behind as an orphan."""
    (tmp_path / 'train.py').write_text(FAKE_TRAIN)
    env = dict(os.environ, PYTHONPATH=f'{REPO_ROOT}{os.pathsep}{os.environ.get("PYTHONPATH", "")}')
    queue = subprocess.Popen([sys.executable, '-c', QUEUE, str(tmp_path / 'train.py'), str(tmp_path)], env=env,
                             cwd=REPO_ROOT)
    pid_file = tmp_path / 'run' / 'pid'
    deadline = time.time() + 60
    while not pid_file.exists() or not pid_file.read_text():
        assert time.time() < deadline and queue.poll() is None, 'the training never started'
        time.sleep(0.1)
    child = int(pid_file.read_text())
    assert _alive(child)
    queue.send_signal(how)
    queue.wait(timeout=30)
    deadline = time.time() + 10
    while _alive(child) and time.time() < deadline:
        time.sleep(0.1)
    assert not _alive(child), 'the training outlived the queue'


def test_a_run_whose_total_batch_is_not_its_recipes_is_refused_before_anything_is_queued(tmp_path):
    config = write_config(tmp_path, 'c.py', batch_size=32)
    with open(config, 'a') as file:
        file.write('auto_scale_lr = dict(base_batch_size=32)\n')
    launcher = _RecordingLauncher()
    with pytest.raises(ValueError, match=r'run a: .*train_dataloader\.batch_size'):
        rq.run_queue([rq.Run(config, str(tmp_path / 'a'), 0, ('train_dataloader.batch_size=8', ), name='run a'),
                      rq.Run(config, str(tmp_path / 'b'), 0, name='run b')], launcher, 1)
    assert launcher.events == []
