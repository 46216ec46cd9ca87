"""tools/benchmark_table.py and its run queue (openmixosr/utils/run_queue.py).

End to end on the embedded digits (128 training digits, 2 epochs per run, teachers included): plain CE and the
distilled student on splits 0 and 1, 2 runs at once; the table, the CSV against the runs' own metrics.json, a second
invocation that trains nothing, an interrupted one that trains only the missing run, a student given the other split's
teacher, a failing config, and the Slurm launcher through a fake ``srun``. The rest uses no training.
"""
import csv
import importlib.util
import json
import math
import os
import re
import stat
import time

import pytest
from mmengine.config import Config

from openmixosr.paper_results import ROWS
from openmixosr.utils import run_queue as rq
from openmixosr.utils.experiments import teacher_config_of
from openmixosr.utils.provenance import source_digest
from openmixosr.utils.run_record import config_digest, file_digest
from tests.helpers.run_tool import REPO_ROOT, run_tool, warm_python

CE = REPO_ROOT / 'configs/baselines/ce_r18w16_digits.py'
ASYM = REPO_ROOT / 'configs/asym/r18_digits.py'
TEACHER = REPO_ROOT / 'configs/baselines/ce_r50w16_digits.py'
SHORT = ['train_cfg.max_epochs=2', 'train_dataloader.dataset.indices=128']  # 2 iterations per epoch
METRICS = ('accuracy', 'auroc', 'oscr')


def _tool():
    spec = importlib.util.spec_from_file_location('benchmark_table', REPO_ROOT / 'tools/benchmark_table.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _timestamp_dirs(work):
    """The log dirs MMEngine creates once per training (``<work dir>/<YYYYMMDD_HHMMSS>``)."""
    return sorted(str(path.relative_to(work)) for path in work.glob('*/split*/seed*/20*'))


def _csv(path):
    with open(path) as file:
        return {(row['method'], row['metric']): row for row in csv.DictReader(file)}


@pytest.fixture(scope='module')
def table(tmp_path_factory):
    work = tmp_path_factory.mktemp('benchmark')
    start = time.perf_counter()
    result = run_tool('benchmark_table.py', CE, ASYM, '--splits', '0', '1', '--seeds', '0', '--jobs', '2',
                      '--work-dir', work, '--rows', 'ResNet-18 (CE)', 'Ours', '--columns', 'Digits', 'Digits',
                      '--cfg-options', *SHORT)
    return work, result.stdout, time.perf_counter() - start


# ------------------------------------------------------------------------------------------------ end to end
def test_table_has_a_row_per_config_and_the_csv_holds_the_means_of_the_runs(table):
    work, stdout, _ = table
    markdown = (work / 'benchmark_table.md').read_text()
    assert markdown in stdout and '6 runs: 6 trained, 0 finished before (skipped), 0 failed' in stdout
    lines = markdown.splitlines()
    assert 'splits [0, 1]; seeds [0]; std over all runs of a cell, ddof=0' in lines[0]
    assert lines[2] == '| Method | Digits Acc. | Digits AUROC | Digits OSCR |'  # --columns
    cells = [[cell.strip(' |') for cell in line.split(' | ')[1:]] for line in lines[4:6]]
    assert [line.split(' | ')[0][2:] for line in lines[4:6]] == ['ResNet-18 (CE)', 'Ours']  # --rows, in order
    rows = dict(zip(['ce_r18w16_digits', 'r18_digits'], cells))  # by the work dirs, named after the configs
    counts = lines[lines.index('| Method | Digits |') + 2:]
    assert counts == ['| ResNet-18 (CE) | 2 |', '| Ours | 2 |']

    table_csv = _csv(work / 'benchmark_table.csv')
    assert len(table_csv) == 2 * 3
    for stem in rows:
        runs = [json.loads((work / stem / f'split{split}' / 'seed0' / 'metrics.json').read_text())['metrics']
                for split in (0, 1)]
        for i, metric in enumerate(METRICS):
            a, b = (run[f'osr/{metric}'] for run in runs)
            line = table_csv[{'ce_r18w16_digits': 'ResNet-18 (CE)', 'r18_digits': 'Ours'}[stem], metric]
            # two runs: mean (a + b) / 2, population std |a - b| / 2
            assert math.isclose(float(line['mean']), (a + b) / 2, abs_tol=1e-9)
            assert math.isclose(float(line['std']), abs(a - b) / 2, abs_tol=1e-9)
            assert (line['n'], line['paper'], line['dataset']) == ('2', '', 'Digits')
            assert rows[stem][i] == f'{(a + b) / 2:.2f} ± {abs(a - b) / 2:.2f}'


def test_each_student_distils_from_the_teacher_of_its_split(table):
    work = table[0]
    for split in (0, 1):
        teacher = json.loads((work / 'ce_r50w16_digits' / f'split{split}' / 'seed0' / 'metrics.json').read_text())
        assert teacher['identity'] == dict(
            config='configs/baselines/ce_r50w16_digits.py', config_digest=config_digest(str(TEACHER)), seed=0,
            options=[f'split={split}', *SHORT], world_size=1, total_batch=64, inputs={})
        provenance = teacher['provenance']
        assert provenance['code']['source_digest'] == source_digest() and provenance['device'] == 'cpu'
        assert provenance['libraries']['torch'] and provenance['threads'] >= 1
        assert [v['epoch'] for v in teacher['validations']] == [2] and teacher['metrics'] == teacher['validations'][
            -1]['metrics']
        student = json.loads((work / 'r18_digits' / f'split{split}' / 'seed0' / 'metrics.json').read_text())
        checkpoint = work / 'ce_r50w16_digits' / f'split{split}' / 'seed0' / 'epoch_2.pth'
        assert student['identity']['options'] == [f'split={split}', *SHORT]
        assert student['identity']['inputs'] == {'model.teacher_checkpoint': file_digest(str(checkpoint))}
        log = (work / 'r18_digits' / f'split{split}' / 'seed0' / 'train.log').read_text()
        assert re.search(r"teacher_checkpoint=\s*'" + re.escape(str(checkpoint)) + "'", log)  # the run's config


def test_a_second_invocation_trains_nothing_and_an_interrupted_one_only_the_missing_run(table):
    work, _, seconds = table
    print(f'end-to-end benchmark_table run: {seconds:.1f} s')
    trained, markdown = _timestamp_dirs(work), (work / 'benchmark_table.md').read_text()
    assert len(trained) == 6
    arguments = [CE, ASYM, '--splits', '0', '1', '--jobs', '2', '--work-dir', work, '--rows', 'ResNet-18 (CE)', 'Ours',
                 '--columns', 'Digits', 'Digits', '--cfg-options', *SHORT]
    again = run_tool('benchmark_table.py', *arguments).stdout
    assert '6 runs: 0 trained, 6 finished before (skipped), 0 failed' in again
    assert _timestamp_dirs(work) == trained and (work / 'benchmark_table.md').read_text() == markdown

    (work / 'r18_digits' / 'split1' / 'seed0' / 'metrics.json').unlink()  # as if stopped during that run
    resumed = run_tool('benchmark_table.py', *arguments).stdout
    assert '6 runs: 1 trained, 5 finished before (skipped), 0 failed' in resumed
    new = sorted(set(_timestamp_dirs(work)) - set(trained))
    assert len(new) == 1 and new[0].startswith('r18_digits/split1/seed0/')


def test_a_student_given_another_splits_teacher_fails_with_the_runners_message(table, tmp_path, monkeypatch):
    work, tool = table[0], _tool()
    monkeypatch.setenv('PYTHON', warm_python())  # the interpreter LocalLauncher trains with, as run_tool gives it
    teacher_of_split0 = tool.plan_runs([tool.describe(str(ASYM))], {str(ASYM): (0, )}, [0], SHORT,
                                       str(work))[0][1].source
    student = rq.Run(str(ASYM), str(tmp_path / 'student'), 0, ('split=1', *SHORT), teacher_of_split0)
    teacher, outcome = rq.run_queue([student], rq.LocalLauncher(tool.TRAIN, threads=1), jobs=1)
    assert teacher.ok and not teacher.trained  # the finished teacher of split 0, not trained again
    assert not outcome.ok and f'see {student.log}' in outcome.error
    log = open(student.log).read()
    assert 'KnownClassesMismatchError' in log and 'was trained on the known classes' in log
    assert 'Another open-set split' in log
    assert not (tmp_path / 'student' / 'metrics.json').exists()


def test_a_config_that_fails_to_build_is_reported_and_the_others_still_run(tmp_path):
    broken = tmp_path / 'broken_digits.py'
    broken.write_text(f"_base_ = ['{CE}']\nmodel = dict(backbone=dict(type='NoSuchBackbone'))\n")
    work = tmp_path / 'work'
    result = run_tool('benchmark_table.py', broken, CE, '--splits', '0', '--jobs', '2', '--work-dir', work,
                      '--cfg-options', *SHORT, check=False)
    assert result.returncode != 0
    log = work / 'broken_digits' / 'split0' / 'seed0' / 'train.log'
    assert '1 of 2 runs failed (left out of the table):' in result.stderr
    assert 'broken_digits split 0 seed 0: Training failed (exit code 1' in result.stderr
    assert f'see {log}' in result.stderr
    assert 'NoSuchBackbone' in log.read_text()
    markdown = (work / 'benchmark_table.md').read_text()
    assert '| ce_r18w16_digits | ' in markdown and 'broken_digits' not in markdown
    assert (work / 'ce_r18w16_digits' / 'split0' / 'seed0' / 'metrics.json').is_file()
    assert {method for method, _ in _csv(work / 'benchmark_table.csv')} == {'ce_r18w16_digits'}


FAKE_SRUN = r'''#!/usr/bin/env bash
# A stand-in for srun: record the arguments, then run the command here without the Slurm launcher (no cluster).
printf '%s\n' "$*" >> "$SRUN_CALLS"
shift 2                                           # -p PARTITION
while [[ "$1" == --* ]]; do shift; done           # srun's own options
command=()
for arg in "$@"; do [[ "$arg" == --launcher=slurm ]] && arg=--launcher=none; command+=("$arg"); done
exec "${command[@]}"
'''


def test_slurm_launcher_trains_each_run_through_slurm_train_sh(tmp_path, monkeypatch):
    bin_dir, calls, work = tmp_path / 'bin', tmp_path / 'srun_calls.txt', tmp_path / 'work'
    bin_dir.mkdir()
    (bin_dir / 'srun').write_text(FAKE_SRUN)
    (bin_dir / 'srun').chmod(0o755 | stat.S_IEXEC)
    monkeypatch.setenv('PATH', f'{bin_dir}{os.pathsep}{os.environ["PATH"]}')
    (bin_dir / 'sinfo').write_text('#!/usr/bin/env bash\necho gpu:8\n')  # a GPU partition
    (bin_dir / 'sinfo').chmod(0o755)
    monkeypatch.setenv('SRUN_CALLS', str(calls))
    for name in ('GPUS', 'GPUS_PER_NODE', 'CPUS_PER_TASK', 'SRUN_ARGS'):
        monkeypatch.delenv(name, raising=False)
    result = run_tool('benchmark_table.py', CE, '--splits', '0', '--launcher', 'slurm', '--partition', 'part1',
                      '--work-dir', work, '--cfg-options', *SHORT)
    run_dir = work / 'ce_r18w16_digits' / 'split0' / 'seed0'
    [call] = calls.read_text().splitlines()
    # one GPU: the recipe's total batch (auto_scale_lr.base_batch_size=64) is one process of 64, not slurm_train.sh's
    # default of 8 GPUs (8 x 64 at the learning rate of 64)
    assert call.startswith('-p part1 --job-name=ce_r18w16_digits_split_0_seed_0 --gres=gpu:1 --ntasks=1 '
                           '--ntasks-per-node=1 ')
    assert call.endswith(f'tools/train.py {CE} --work-dir={run_dir} --launcher=slurm --run-record '
                         f'{run_dir}/run_record.json --cfg-options randomness.seed=0 split=0 {" ".join(SHORT)}')
    assert (run_dir / 'metrics.json').is_file() and '| ce_r18w16_digits | ' in result.stdout


# ------------------------------------------------------------------------------------------------ the tool's parts
def _method(tool, config, **changes):
    return tool.describe(str(REPO_ROOT / config))._replace(**changes)


def _finished(metrics, other_code=None):
    """Outcomes of distinct finished runs with these metrics (the runs of one cell)."""
    return [rq.Outcome(rq.Run('c.py', f'work/seed{seed}', seed), record=dict(metrics=m), other_code=other_code)
            for seed, m in enumerate(metrics)]


def test_aggregate_is_the_mean_and_population_std_over_all_runs():
    tool = _tool()
    method = _method(tool, 'configs/asym/r18_svhn.py')
    runs = [{'osr/accuracy': a, 'osr/auroc': b, 'osr/oscr': c} for a, b, c in
            ((90.0, 80.0, 70.0), (92.0, 84.0, 70.0), (94.0, 83.0, 73.0), (96.0, 81.0, 71.0))]
    cells = {cell.metric.key: cell for cell in tool.aggregate([method], {method.config: _finished(runs)})}
    # accuracy 90, 92, 94, 96: mean 93, deviations -3 -1 1 3 -> std sqrt(20 / 4); AUROC mean 82, std sqrt(10 / 4)
    assert (cells['osr/accuracy'].mean, cells['osr/accuracy'].n) == (93.0, 4)
    assert math.isclose(cells['osr/accuracy'].std, math.sqrt(5.0))
    assert math.isclose(cells['osr/auroc'].std, math.sqrt(2.5)) and cells['osr/oscr'].mean == 71.0
    # the paper's Table 2 numbers (SVHN: 97.7 / 97.2; no OSCR)
    assert [cells[key].paper for key in ('osr/accuracy', 'osr/auroc', 'osr/oscr')] == [97.7, 97.2, None]
    markdown = tool.format_markdown(list(cells.values()), {method.config: (0, 1, 2, 3, 4)}, [0])
    assert '| Method | SVHN Acc. | SVHN AUROC | SVHN OSCR |' in markdown
    assert f'| Ours | 93.00 ± {math.sqrt(5):.2f} (97.7) | 82.00 ± {math.sqrt(2.5):.2f} (97.2) | 71.00 ± ' in markdown
    assert 'Table 2' in markdown.splitlines()[0]
    with pytest.raises(KeyError, match="logged no 'osr/oscr'"):
        tool.aggregate([method], {method.config: _finished([{'osr/accuracy': 1.0, 'osr/auroc': 2.0}])})
    with pytest.raises(ValueError, match='a run is counted twice in its cell'):
        tool.aggregate([method], {method.config: _finished(runs[:1]) * 2})


def test_one_run_shows_its_value_and_the_csv_has_one_line_per_method_dataset_metric(tmp_path):
    tool = _tool()
    ours, baseline = _method(tool, 'configs/asym/r18_svhn.py'), _method(tool, 'configs/baselines/ce_r18_cifar10.py')
    cells = tool.aggregate([ours, baseline], {ours.config: _finished([{'osr/accuracy': 90.5, 'osr/auroc': 80.25,
                                                                       'osr/oscr': 70.0}]),
                                              baseline.config: _finished([{'osr/accuracy': 1.0, 'osr/auroc': 2.0,
                                                                           'osr/oscr': 3.0}] * 2)})
    markdown = tool.format_markdown(cells, {ours.config: (0, ), baseline.config: (0, )}, [0])
    header, _, ours_row, baseline_row = markdown.splitlines()[2:6]
    assert header == ('| Method | SVHN Acc. | SVHN AUROC | SVHN OSCR | CIFAR-10 Acc. | CIFAR-10 AUROC | '
                      'CIFAR-10 OSCR |')
    assert ours_row == '| Ours | 90.50 (97.7) | 80.25 (97.2) | 70.00 |  |  |  |'
    assert baseline_row == '| ce_r18_cifar10 |  |  |  | 1.00 ± 0.00 | 2.00 ± 0.00 | 3.00 ± 0.00 |'
    tool.write_csv(cells, tmp_path / 't.csv')
    lines = list(csv.reader(open(tmp_path / 't.csv')))
    assert lines[0] == ['method', 'dataset', 'metric', 'mean', 'std', 'n', 'paper', 'paper_note', 'config',
                        'other_code']
    assert lines[1] == ['Ours', 'SVHN', 'accuracy', '90.5', '0.0', '1', '97.7', '', 'configs/asym/r18_svhn.py', '']
    assert lines[6] == ['ce_r18_cifar10', 'CIFAR-10', 'oscr', '3.0', '0.0', '2', '', '',
                        'configs/baselines/ce_r18_cifar10.py', '']


def test_paper_row_lookup_and_the_config_keys_that_override_it(tmp_path):
    tool = _tool()
    tiny = _method(tool, 'configs/asym/r18_tiny.py')
    assert tiny.paper_row.id == 'asym.t2.ours.tiny'  # Table 2, not its ablation rows (Tables 6 and 7)
    assert (tiny.row, tiny.column) == ('Ours', 'TinyImageNet')
    assert _method(tool, 'configs/asym/r18_digits.py').paper_row is None  # a CPU counterpart, not the paper's data
    baseline = _method(tool, 'configs/baselines/ce_r18_svhn.py')
    assert (baseline.row, baseline.column, baseline.paper_row) == ('ce_r18_svhn', 'SVHN', None)
    named = tmp_path / 'named.py'
    named.write_text(f"_base_ = ['{REPO_ROOT / 'configs/asym/r18_svhn.py'}']\npaper_row = 'asym.t2.ours.cifar10'\n")
    method = tool.describe(str(named))
    # the column follows the data (SVHN), the paper's number the named row
    assert (method.row, method.column, method.paper_row.results['accuracy']) == ('Ours', 'SVHN', 96.9)
    with pytest.raises(ValueError, match='both row .Ours., column .SVHN.: name them apart with `--rows`'):
        tool.check_cells_unique([_method(tool, 'configs/asym/r18_svhn.py'), _method(tool, 'configs/asym/r18_svhn.py')])


def test_table_2_baselines_share_the_paper_rows_column_groups():
    """BENCHMARK_COLUMNS names each benchmark as Table 2 names its column."""
    tool = _tool()
    for row in ROWS:
        if (row.paper, row.table) == ('asym', '2') and row.config:
            cfg = Config.fromfile(REPO_ROOT / row.config)
            assert tool.BENCHMARK_COLUMNS[tool.dataset_benchmark(cfg)] == row.column, row.id


def test_semantic_shift_and_large_scale_configs_are_their_paper_rows():
    """Table 3: the AGC row (our CE baselines) and Ours, Easy / Hard columns with the paper's numbers; Table 4: the
    CE baseline and the student share one column group (the data), whatever the paper calls its column."""
    tool = _tool()
    ours, agc = _method(tool, 'configs/asym/r50_ssb_cub.py'), _method(tool, 'configs/baselines/ce_r50_ssb_cub.py')
    assert (ours.paper_row.id, agc.paper_row.id) == ('asym.t3.ours.cub', 'asym.t3.agc.cub')
    assert (ours.row, agc.row, ours.column, agc.column) == ('Ours', 'AGC (ICLR, 2022)', 'CUB', 'CUB')
    assert [(m.key, m.paper_key) for m in ours.metrics] == [
        ('osr/accuracy', 'accuracy'), ('osr/easy/auroc', 'auroc_easy'), ('osr/hard/auroc', 'auroc_hard'),
        ('osr/easy/oscr', 'oscr_easy'), ('osr/hard/oscr', 'oscr_hard')]
    assert ours.splits == (0, ) and ours.teacher_config == agc.config
    assert ours.paper_row.results['auroc_hard'] == 82.0
    student, baseline = (_method(tool, f'configs/{path}.py') for path in ('asym/r18_tiny_in21k',
                                                                           'baselines/ce_r18_tiny_in21k'))
    assert student.column == baseline.column == 'ImageNet-21K (SSB lists)'
    assert student.paper_row.id == 'asym.t4.ours.r18' and baseline.paper_row is None
    assert student.splits == (0, )


def test_published_numbers_of_a_substitute_benchmark_are_marked_and_explained(tmp_path):
    """Table 4 with the SSB lists instead of the paper's: the paper's number is shown marked, the reason printed
    under the table and written to the CSV; comparable rows stay unmarked."""
    tool = _tool()
    student = _method(tool, 'configs/asym/r18_tiny_in21k.py')
    runs = [{'osr/accuracy': 80.0, 'osr/easy/auroc': 70.0, 'osr/hard/auroc': 65.0, 'osr/easy/oscr': 60.0,
             'osr/hard/oscr': 55.0}]
    cells = tool.aggregate([student], {student.config: _finished(runs)})
    markdown = tool.format_markdown(cells, {student.config: (0, )}, [0])
    assert '| Ours | 80.00 | 70.00 (77.1†) | 65.00 (75.7†) | 60.00 (60.8†) | 55.00 (60.1†) |' in markdown
    assert "† The published number is not comparable with ours:" in markdown
    assert "- asym.t4.ours.r18: SUBSTITUTE unknown classes" in markdown
    tool.write_csv(cells, tmp_path / 't.csv')
    lines = {line['metric']: line for line in csv.DictReader(open(tmp_path / 't.csv'))}
    assert lines['easy/auroc']['paper'] == '77.1' and 'SUBSTITUTE' in lines['easy/auroc']['paper_note']
    assert lines['accuracy']['paper'] == '' and lines['accuracy']['paper_note'] == ''  # no published accuracy
    svhn = _method(tool, 'configs/asym/r18_svhn.py')
    plain = tool.format_markdown(tool.aggregate([svhn], {svhn.config: _finished([{'osr/accuracy': 1.0, 'osr/auroc': 2.0,
                                                                                   'osr/oscr': 3.0}])}),
                                 {svhn.config: (0, )}, [0])
    assert '†' not in plain


def _ssb_like_config():
    return Config(dict(split=0, model=dict(type='OpenSetClassifier'),
                       train_dataloader=dict(dataset=dict(type='OpenSetDataset', benchmark='ssb_cub')),
                       val_evaluator=dict(type='OpenSetEvaluator', unknown_sets=('easy', 'hard'))))


def test_split_defaults_and_errors(tmp_path):
    tool = _tool()
    svhn = _method(tool, 'configs/asym/r18_svhn.py')
    assert svhn.splits == (0, 1, 2, 3, 4) and tool.choose_splits(svhn, None) == (0, 1, 2, 3, 4)
    assert tool.choose_splits(svhn, [3, 1]) == (3, 1)
    with pytest.raises(ValueError, match=r'has the splits \[0, 1, 2, 3, 4\] \(no split 5\)'):
        tool.choose_splits(svhn, [0, 5])
    ssb = _ssb_like_config()
    assert tool.published_splits(ssb) == (0, )
    ssb_method = svhn._replace(splits=tool.published_splits(ssb))
    assert tool.choose_splits(ssb_method, None) == (0, ) and tool.choose_splits(ssb_method, [0]) == (0, )
    with pytest.raises(ValueError, match='has one split only: run it with --splits 0 or without --splits'):
        tool.choose_splits(ssb_method, [0, 1])
    assert tool.published_splits(Config(dict(model=dict(type='X')))) == (0, )  # no benchmark
    five_splits_without_split = Config(dict(model=dict(type='X'), train_dataloader=dict(dataset=dict(
        type='OpenSetDataset', benchmark='svhn'))))
    with pytest.raises(ValueError, match="benchmark 'svhn' .5 published splits. but the config has no top-level"):
        tool.published_splits(five_splits_without_split)  # else every split would train split 0
    assert [(m.label, m.key, m.paper_key) for m in tool.table_metrics(ssb)] == [
        ('Acc.', 'osr/accuracy', 'accuracy'), ('AUROC easy', 'osr/easy/auroc', 'auroc_easy'),
        ('AUROC hard', 'osr/hard/auroc', 'auroc_hard'), ('OSCR easy', 'osr/easy/oscr', 'oscr_easy'),
        ('OSCR hard', 'osr/hard/oscr', 'oscr_hard')]
    assert [m.key for m in svhn.metrics] == ['osr/accuracy', 'osr/auroc', 'osr/oscr']


def test_plan_trains_one_teacher_per_split_shared_and_first(tmp_path):
    tool = _tool()
    student, teacher = tool.describe(str(ASYM)), tool.describe(str(TEACHER))
    mask = tool.describe(str(REPO_ROOT / 'configs/asym/r18_digits_automix_mask.py'))  # inherits the teacher config
    assert student.teacher_config == mask.teacher_config == str(TEACHER) and teacher.teacher_config is None
    methods = [student, mask, teacher]
    planned = tool.plan_runs(methods, {m.config: (0, 1) for m in methods}, [0, 1], ['a=1'], str(tmp_path))
    assert len(planned) == 3 * 2 * 2
    for method, run in planned:
        split = int(run.work_dir.split('split')[1][0])
        assert run.options[0] == f'split={split}' and run.options[1:] == ('a=1', )
        if method is teacher:
            assert run.source is None
        else:  # both students of split K share the teacher run of split K: the seed-0 run of the listed teacher
            assert run.source.work_dir == str(tmp_path / 'ce_r50w16_digits' / f'split{split}' / 'seed0')
            assert run.source.same_as(next(r for m, r in planned if m is teacher and r.key == run.source.key))
    order = rq.queue_order([run for _, run in planned])
    assert len(order) == 12 and [run.config for run in order[:2]] == [str(TEACHER)] * 2  # the 2 teachers first
    assert all(run.source is None for run in order[:4]) and all(run.source for run in order[4:])


def test_a_distillation_config_must_name_its_teacher(tmp_path):
    config = tmp_path / 'no_teacher.py'
    config.write_text("model = dict(type='AsymmetricDistiller')\n")
    with pytest.raises(KeyError, match='names no `teacher_config`'):
        _tool().describe(str(config))


def _distillation_configs():
    return sorted(path for path in (REPO_ROOT / 'configs/asym').rglob('*.py')
                  if Config.fromfile(path).model.get('type') == 'AsymmetricDistiller')


def test_every_distillation_config_names_the_teacher_config_of_its_checkpoint():
    """``teacher_config`` (read from the merged config: ``openmixosr::NAME``, whatever file sets it) is the CE config
    whose run ``model.teacher_checkpoint`` names: its default work dir ``work_dirs/<teacher config stem>``, whose last
    checkpoint the distiller loads (no epoch hard-coded)."""
    configs = _distillation_configs()
    assert len(configs) > 30
    for path in configs:
        teacher = teacher_config_of(str(path))
        assert teacher is not None and os.path.isfile(teacher), path
        checkpoint = Config.fromfile(path).model.teacher_checkpoint
        assert checkpoint == f'work_dirs/{os.path.splitext(os.path.basename(teacher))[0]}', path


def test_cli_errors(capsys):
    tool = _tool()
    with pytest.raises(SystemExit):
        tool.parse_args([str(CE), '--launcher', 'slurm'])
    assert '--launcher slurm needs --partition' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.parse_args([str(CE), '--cfg-options', 'split=1'])
    assert 'use --splits' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.parse_args([str(CE), '--cfg-options', 'val_dataloader.dataset.osr_split=2'])
    assert 'selects splits with --splits' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.parse_args([str(CE), '--jobs', '0'])
    assert '--jobs must be >= 1' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.parse_args([str(CE), str(ASYM), '--rows', 'CE'])
    assert '--rows names 1 rows for 2 configs: give one per config' in capsys.readouterr().err


def test_teacher_config_is_read_from_the_merged_config_whatever_file_sets_it(tmp_path):
    ablation = str(REPO_ROOT / 'configs/asym/ablation/r18_digits_t6_c_cmi.py')  # inherits it from ../r18_digits.py
    assert teacher_config_of(ablation) == str(TEACHER)
    assert teacher_config_of(str(CE)) is None
    wrong = tmp_path / 'wrong.py'
    wrong.write_text(f"_base_ = ['{ASYM}']\nteacher_config = 'openmixosr::baselines/no_such.py'\n")
    with pytest.raises(FileNotFoundError, match='OpenMixOSR ships no such config'):
        teacher_config_of(str(wrong))
