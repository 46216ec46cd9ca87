"""tools/gpu_check.py, the prepared check of a GPU machine, runs on the CPU with tiny settings (so that it never rots
before a GPU runs it) and reports what it checked."""
import importlib.util
import json

from tests.helpers.run_tool import REPO_ROOT, run_tool


def _module():
    spec = importlib.util.spec_from_file_location('gpu_check', REPO_ROOT / 'tools' / 'gpu_check.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_check_on_the_cpu_passes_and_reports_every_family(tmp_path):
    gpu_check = _module()
    result = run_tool('gpu_check.py', '--device', 'cpu', '--tiny', '--out-dir', tmp_path)
    assert 'All checks passed' in result.stdout
    report = json.loads((tmp_path / 'gpu_check.json').read_text())
    families = [family.name for family in gpu_check.FAMILIES]
    assert report['failures'] == [] and report['environment']['device'] == 'cpu'
    # 1. every family's training steps in fp32 and --amp (bf16 autocast on the CPU), all losses finite
    assert set(report['steps']) == {f'{name}/{precision}' for name in families for precision in ('fp32', 'amp')}
    for row in report['steps'].values():
        assert row['losses_finite'] and row['steps'] == 2 and row['images_per_s'] > 0
    assert set(report['ratios']) == {'automix_over_cutmix', 'amix_over_cutmix'}
    assert all(set(values) == {'fp32', 'amp'} for values in report['ratios'].values())
    assert set(report['determinism']) == set(gpu_check.DETERMINISM_FAMILIES)
    # 2. the tools: trained, resumed to the same weights, tested with the scores (the classifiers' open-set ones)
    expected = {f'{name}/fp32' for name in gpu_check.TINY_TOOL_FAMILIES} | {'tiny_automix_r18/amp'}
    assert set(report['tools']) == expected
    for key, row in report['tools'].items():
        assert row['deterministic'] and row['resumed_identical'], key
        assert ('test_metrics' in row) == ('mocov2' not in key), key  # pre-training has no test set
    assert report['tools']['ssb_ce_r50/fp32']['scores_missing'] == []
    assert 'osr/hard/vim/auroc' in report['tools']['ssb_ce_r50/fp32']['test_metrics']  # named unknown sets
    # 3. tools/dist_train.sh, gloo without a GPU
    assert report['dist_train']['ok'] and report['dist_train']['backend'] == 'gloo'
    markdown = (tmp_path / 'gpu_check.md').read_text()
    assert '| tiny_automix_r18 | amp | identical |' in markdown and 'anchor: AutoMix Table 9, 1.70x' in markdown


def test_a_failed_check_is_reported_and_fails_the_run():
    gpu_check = _module()
    row = dict(ms_per_step=1.0, images_per_s=8.0, peak_memory_mb=None, batch_size=8, image_size=8, steps=3,
               losses_finite=True)
    tools = dict(deterministic=True, resumed_identical=True, resume_max_abs_diff=0.0, test_metrics={'a': 1.0},
                 test_finite=True, scores_missing=[], seconds=1.0)
    report = dict(environment=dict(device='cuda', tiny=False, torch='2', cpu='x', amp_dtype='float16', gpu='H100',
                                   cuda='12', cudnn=9), seconds=1.0,
                  steps={'a/fp32': row, 'a/amp': dict(error='RuntimeError: CUDA out of memory')},
                  ratios={}, determinism={'a': dict(error='RuntimeError: upsample_bilinear2d_backward_out_cuda')},
                  tools={'a/fp32': dict(tools, resumed_identical=False, resume_max_abs_diff=0.5),
                         'b/fp32': dict(tools, deterministic=False, nondeterministic_op='op', resumed_identical=False,
                                        resume_max_abs_diff=1e-6)},
                  dist_train=dict(processes=2, backend='nccl', ok=True, seconds=1.0, total_batch=32))
    assert gpu_check.failures(report) == ['steps a/amp', 'tools a/fp32']  # b: no deterministic kernel, within 1e-3
    report['failures'] = gpu_check.failures(report)
    markdown = gpu_check.markdown(report)
    assert 'FAILED: steps a/amp; tools a/fp32' in markdown and 'ERROR: RuntimeError: CUDA out of memory' in markdown
    assert 'max diff 5.00e-01' in markdown and '(no deterministic op)' in markdown
