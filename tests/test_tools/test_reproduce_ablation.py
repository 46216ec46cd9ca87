"""tools/reproduce_ablation.py: metric parsing, the table, the config contract (training itself is tested elsewhere)."""
import importlib.util
import os
import os.path as osp

import pytest

from openmixosr.utils import run_queue as rq
from openmixosr.utils.result_tables import format_seed_table
from tests.helpers.fake_runs import write_attempt
from tests.helpers.run_tool import REPO_ROOT


def _tool():
    spec = importlib.util.spec_from_file_location('reproduce_ablation', REPO_ROOT / 'tools/reproduce_ablation.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_table_has_mean_and_std_over_seeds():
    runs = [{'osr/accuracy': 90.0, 'osr/auroc': 80.0, 'osr/oscr': 70.0},
            {'osr/accuracy': 92.0, 'osr/auroc': 84.0, 'osr/oscr': 74.0}]
    table = format_seed_table({'teacher': runs[:1], 'full': runs}, title='Ablation')
    assert '91.00 ± 1.00' in table and '82.00 ± 2.00' in table and '72.00 ± 2.00' in table
    assert 'teacher' in table and '90.00' in table


def test_a_manifest_without_rows_is_refused(tmp_path):
    manifest = tmp_path / 'plain.py'
    manifest.write_text("teacher = 'openmixosr::baselines/ce_r50w16_digits.py'\n")
    with pytest.raises(KeyError, match='has no `rows`'):
        _tool().main([str(manifest)])


@pytest.mark.parametrize('manifest', ['asym_ablation_digits.py', 'asym_ablation_mnist_t10k.py',
                                      'asym_ablation_tiny.py'])
def test_ablation_rows_are_the_papers_rows(manifest):
    """Default rows = Table 6 in the paper's order, each pinned to its transcribed paper row; variants run apart;
    the teacher is the one the full method's config names."""
    from mmengine.config import Config

    from openmixosr.paper_results import CPU_COUNTERPARTS, row_by_id
    from openmixosr.utils.experiments import load_ablation, teacher_config_of
    ablation = load_ablation(str(REPO_ROOT / 'configs/experiments' / manifest))
    assert [row.paper_row for row in ablation.rows] == [
        'asym.t6.resnet18', 'asym.t6.a', 'asym.t6.b', 'asym.t6.c', 'asym.t6.d']
    assert teacher_config_of(ablation.rows[-1].config) == ablation.teacher
    for row in ablation.rows:
        relative = os.path.relpath(row.config, REPO_ROOT)
        # the row's config is the paper row itself (Tiny) or its declared CPU counterpart (digits, MNIST)
        assert relative == row_by_id(row.paper_row).config or CPU_COUNTERPARTS.get(relative) == row.paper_row, (
            relative, row.paper_row)
    for row in ablation.variant_rows:
        assert '(ours)' in row.name and 'mixup_ce' in row.config and row.paper_row is None
    # learned masks: the full method (d) with a Mix Block trained through the teacher instead of CutMix
    assert [row.name for row in ablation.learned_mask_rows] == ['(d) with AutoMix masks (ours)',
                                                                '(d) with AMix masks (ours)']
    full = Config.fromfile(ablation.rows[-1].config)
    for row, block in zip(ablation.learned_mask_rows, ('MixBlock', 'MixBlockPlus')):
        learned = Config.fromfile(row.config)
        assert learned.model.mixer.type == 'LearnedMaskMixer' and learned.model.mixer.mix_block.type == block
        assert {key: value for key, value in learned.model.items() if key != 'mixer'} == {
            key: value for key, value in full.model.items() if key != 'mixer'}, 'only the mixer differs from (d)'


def test_table_prints_the_papers_numbers_beside():
    runs = [{'osr/accuracy': 90.0, 'osr/auroc': 80.0, 'osr/oscr': 70.0}]
    tool = _tool()
    paper = {'(d) full': tool.paper_numbers('asym.t6.d'), 'ours': tool.paper_numbers(None)}
    table = format_seed_table({'teacher': runs, '(d) full': runs, 'ours': runs}, title='T', paper=paper)
    header, _, teacher, full, ours = table.splitlines()[1:]
    assert 'paper acc.' in header and 'paper AUROC' in header and 'paper OSCR' not in header  # Table 6: no OSCR
    assert [cell.strip() for cell in full.split('|')[-2:]] == ['87.30', '85.30']
    assert '87.30' not in teacher and '87.30' not in ours


class _FakeLauncher:
    """A stand-in for tools/train.py: writes one validation record and a last_checkpoint, and records the call
    (config file, work dir, seed, options, threads); fails the runs named in ``fail`` (config file, or (config file,
    seed))."""

    def __init__(self, calls, fail=()):
        self.calls, self.fail = calls, fail

    def __call__(self, train_script, threads=None):  # the tool builds LocalLauncher(TRAIN, threads)
        self.threads = threads
        return self

    def launch(self, run, options):
        self.calls.append((osp.basename(run.config), run.work_dir, run.seed, tuple(options), self.threads))
        if osp.basename(run.config) in self.fail or (osp.basename(run.config), run.seed) in self.fail:
            raise RuntimeError(f'Training failed (exit code 1: fake); see {run.log}')
        write_attempt(run, {'osr/accuracy': 90.0 + run.seed, 'osr/auroc': 80.0, 'osr/oscr': 70.0})


def _patched_tool(monkeypatch, calls, fail=()):
    from openmixosr.utils import run_queue
    tool = _tool()
    monkeypatch.setattr(tool, 'LocalLauncher', _FakeLauncher(calls, fail))
    monkeypatch.setattr(run_queue, 'usable_cores', lambda: 2)
    return tool


def test_jobs_run_side_by_side_with_split_threads_and_finished_runs_are_not_run_again(tmp_path, monkeypatch, capsys):
    calls = []
    tool = _patched_tool(monkeypatch, calls)
    config = str(REPO_ROOT / 'configs/experiments/asym_ablation_digits.py')
    argv = [config, '--seeds', '0', '1', '--jobs', '2', '--work-dir', str(tmp_path)]
    tool.main(argv)
    assert len(calls) == 1 + 5 * 2
    assert all(call[4] == 1 for call in calls)  # 2 jobs x 1 thread on 2 cores
    [teacher_call] = [call for call in calls if call[1] == str(tmp_path / 'teacher')]  # (2 runs start at once)
    teacher = teacher_call[1]
    assert teacher_call[0] == 'ce_r50w16_digits.py'
    distilled = [call for call in calls if call[0].startswith('r18_digits')]
    assert len(distilled) == 3 * 2 and all(call[3] == (f'model.teacher_checkpoint={teacher}/epoch_1.pth', )
                                           for call in distilled)
    assert all(call[3] == () for call in calls if not call[0].startswith('r18_digits'))
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_dir()) == [  # readable work dirs
        'a_cutmix', 'b_cutmix_kd', 'c_cmi', 'd_relabel_full_method', 'resnet_18_vanilla_ce', 'teacher']
    first = capsys.readouterr().out
    assert '90.50 ± 0.50' in first  # seeds 0 and 1 of every row, in row order
    rows = [line.split('|')[0].strip() for line in first.split('\n', 1)[1].splitlines()[3:] if '|' in line]
    assert rows == ['teacher', 'ResNet-18 (vanilla CE)', '(a) CutMix', '(b) CutMix + KD', '(c) + CMI',
                    '(d) + relabel (full method)']
    calls.clear()
    tool.main(argv)  # an interrupted or repeated command continues: nothing finished runs again
    assert calls == [] and capsys.readouterr().out.split('\n', 1)[1] == first.split('\n', 1)[1]
    with pytest.raises(RuntimeError, match='finished run of other settings'):
        tool.main([*argv, '--cfg-options', 'train_cfg.max_epochs=5'])
    with pytest.raises(SystemExit):
        tool.parse_args([config, '--seeds', '1', '1'])
    assert '--seeds 1 1: a seed is given twice' in capsys.readouterr().err
    assert calls == []  # refused before anything trains
    with pytest.raises(ValueError, match='--jobs'):
        rq.threads_per_job(0)


def test_a_failed_run_is_reported_left_out_and_the_others_go_on(tmp_path, monkeypatch, capsys):
    """One CutMix seed fails: the other runs still train, the CutMix row says it has one run of two, exit non-zero."""
    calls = []
    tool = _patched_tool(monkeypatch, calls, fail=(('cutmix_r18w16_digits.py', 1), ))
    config = str(REPO_ROOT / 'configs/experiments/asym_ablation_digits.py')
    with pytest.raises(SystemExit, match=r'1 of 11 runs failed(.|\n)*\(a\) CutMix, seed 1: Training failed'):
        tool.main([config, '--seeds', '0', '1', '--work-dir', str(tmp_path)])
    assert len(calls) == 11
    cutmix = next(line for line in capsys.readouterr().out.splitlines() if line.startswith('(a) CutMix'))
    assert [cell.strip() for cell in cutmix.split('|')][:2] == ['(a) CutMix (1 of 2 runs)', '90.00']  # seed 0 only
    assert not (tmp_path / 'a_cutmix' / 'seed1' / 'metrics.json').exists()
    assert (tmp_path / 'a_cutmix' / 'seed0' / 'metrics.json').exists()


def test_a_failed_teacher_stops_its_students_only(tmp_path, monkeypatch, capsys):
    calls = []
    tool = _patched_tool(monkeypatch, calls, fail=('ce_r50w16_digits.py', ))
    config = str(REPO_ROOT / 'configs/experiments/asym_ablation_digits.py')
    with pytest.raises(SystemExit, match=r'7 of 11 runs failed(.|\n)*\(c\) \+ CMI, seed 0: not run: its source run '
                       r'teacher failed'):
        tool.main([config, '--seeds', '0', '1', '--work-dir', str(tmp_path)])
    assert sorted({call[0] for call in calls}) == ['ce_r18w16_digits.py', 'ce_r50w16_digits.py',
                                                   'cutmix_r18w16_digits.py']  # no student started
    rows = [line.split('|')[0].strip() for line in capsys.readouterr().out.splitlines() if '|' in line]
    assert rows[1:] == ['ResNet-18 (vanilla CE)', '(a) CutMix']


def test_default_jobs_is_one_single_thread_run_per_core_without_a_gpu(monkeypatch):
    import torch

    from openmixosr.utils import run_queue
    monkeypatch.setattr(run_queue, 'usable_cores', lambda: 4)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert run_queue.default_local_jobs() == 4 and run_queue.threads_per_job(4, cores=4) == 1
    monkeypatch.setattr(run_queue, 'usable_cores', lambda: 32)
    assert run_queue.default_local_jobs() == run_queue.DEFAULT_MAX_JOBS == 4  # capped: 4 runs of 8 threads
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    assert run_queue.default_local_jobs() == 1 and run_queue.threads_per_job(1) is None  # torch's default threads
