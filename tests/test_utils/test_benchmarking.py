"""The benchmark harness: interleaved rounds and medians on an injected clock, fresh-process and per-call memory."""
import gc
import logging
import os
import textwrap

import pytest
from mmengine.logging import MMLogger

from openmixosr.utils.benchmarking import (Task, quiet_logger, rss_rise_mb, run_in_fresh_process, time_interleaved,
                                          unpooled_malloc)


class FakeClock:
    """A clock that only the tasks move."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def advancing(clock, name, durations, calls):
    """A task that logs its name and advances the clock by its next duration; returns that duration."""
    durations = iter(durations)

    def run():
        calls.append(name)
        seconds = next(durations)
        clock.now += seconds
        return seconds

    return run


def test_rounds_run_the_tasks_in_turn_and_report_medians_without_warmup():
    clock, calls = FakeClock(), []
    tasks = dict(x=advancing(clock, 'x', [50.0, 9.0, 7.0, 4.0], calls),
                 y=advancing(clock, 'y', [60.0, 3.0, 2.0, 6.0], calls),
                 z=advancing(clock, 'z', [70.0, 1.0, 1.0, 1.0], calls))
    times = time_interleaved(tasks, rounds=3, warmup=1, clock=clock)
    assert calls == ['x', 'y', 'z'] * 4  # A B C A B C ..., warm-up round first
    assert times.seconds == dict(x=[9.0, 7.0, 4.0], y=[3.0, 2.0, 6.0], z=[1.0, 1.0, 1.0])  # warm-up dropped
    assert times.medians() == dict(x=7.0, y=3.0, z=1.0)
    assert times.results == dict(x=4.0, y=6.0, z=1.0)  # each task's last return value


def test_a_task_times_run_and_not_prepare():
    clock, prepared = FakeClock(), []

    def prepare():
        clock.now += 100.0  # untimed set-up
        prepared.append(len(prepared))
        return prepared[-1]

    def run(argument):
        clock.now += 2.0 + argument
        return argument

    times = time_interleaved(dict(task=Task(run=run, prepare=prepare)), rounds=3, clock=clock)
    assert times.seconds['task'] == [2.0, 3.0, 4.0]  # run received 0, 1, 2 from prepare; the 100 s are not counted
    assert times.results['task'] == 2


def test_the_garbage_collector_is_off_only_during_a_call():
    states = []
    assert gc.isenabled()
    time_interleaved(dict(task=lambda: states.append(gc.isenabled())), rounds=2)
    assert states == [False, False] and gc.isenabled()

    def failing():
        raise KeyError('boom')

    with pytest.raises(KeyError, match='boom'):
        time_interleaved(dict(task=failing), rounds=1)
    assert gc.isenabled()


@pytest.mark.parametrize('tasks, rounds, warmup', [({}, 1, 0), ({'x': print}, 0, 0), ({'x': print}, 1, -1)])
def test_rejects_no_tasks_and_bad_round_counts(tasks, rounds, warmup):
    with pytest.raises(ValueError):
        time_interleaved(tasks, rounds=rounds, warmup=warmup)


@pytest.fixture()
def target_script(tmp_path):
    script = tmp_path / 'target.py'
    script.write_text(textwrap.dedent('''
        def allocate(megabytes):
            filled = b'\\x01' * (megabytes * 2**20)  # written, so resident
            return len(filled)

        def idle():
            return {'nothing': [1, 2]}

        def fail(message):
            raise RuntimeError(message)

        if __name__ == '__main__':
            raise SystemExit('the __main__ block must not run')
        '''))
    return script


def test_fresh_process_reports_result_and_peak_rss(target_script):
    allocating = run_in_fresh_process(target_script, 'allocate', megabytes=200)
    idle = run_in_fresh_process(target_script, 'idle')
    assert allocating.result == 200 * 2**20 and idle.result == {'nothing': [1, 2]}
    assert 0 < idle.peak_rss_mb < 150
    assert allocating.peak_rss_mb - idle.peak_rss_mb == pytest.approx(200, abs=40)


def test_fresh_process_failure_names_the_error(target_script):
    with pytest.raises(RuntimeError, match='(?s)fail of .*target.py failed.*exit code 1.*wrong on purpose'):
        run_in_fresh_process(target_script, 'fail', message='wrong on purpose')


@pytest.mark.skipif(not os.path.exists('/proc/self/status'), reason='needs /proc (Linux)')
def test_rss_rise_follows_what_the_call_allocates():
    with unpooled_malloc() as pinned:
        assert pinned  # glibc
        rise = rss_rise_mb(lambda: len(b'\x01' * (128 * 2**20)))  # freed when the call returns
        quiet = rss_rise_mb(lambda: None)
    assert rise == pytest.approx(128, abs=24)
    assert 0 <= quiet < 8


def test_quiet_logger_restores_the_level():
    logger = MMLogger.get_current_instance()
    level = logger.level
    with quiet_logger():
        assert logger.level == logging.WARNING
    assert logger.level == level
