"""tools/reproduce_ablation.py: metric parsing, the table, the config contract (training itself is tested elsewhere)."""
import importlib.util
import json

import pytest

from tests.helpers.run_tool import REPO_ROOT


def _tool():
    spec = importlib.util.spec_from_file_location('reproduce_ablation', REPO_ROOT / 'tools/reproduce_ablation.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_last_metrics_reads_the_last_validation_record(tmp_path):
    vis = tmp_path / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    records = [{'loss': 1.0, 'step': 1}, {'osr/accuracy': 50.0, 'osr/auroc': 60.0, 'osr/oscr': 40.0, 'step': 1},
               {'loss': 0.5, 'step': 2}, {'osr/accuracy': 90.0, 'osr/auroc': 80.0, 'osr/oscr': 75.0, 'step': 2}]
    (vis / 'scalars.json').write_text('\n'.join(json.dumps(r) for r in records))
    assert _tool().last_metrics(str(tmp_path))['osr/accuracy'] == 90.0
    with pytest.raises(RuntimeError, match='No validation metrics'):
        _tool().last_metrics(str(tmp_path / 'empty'))


def test_table_has_mean_and_std_over_seeds():
    runs = [{'osr/accuracy': 90.0, 'osr/auroc': 80.0, 'osr/oscr': 70.0},
            {'osr/accuracy': 92.0, 'osr/auroc': 84.0, 'osr/oscr': 74.0}]
    table = _tool().format_table({'teacher': runs[:1], 'full': runs}, seeds=[0, 1], title='Ablation')
    assert '91.00 ± 1.00' in table and '82.00 ± 2.00' in table and '72.00 ± 2.00' in table
    assert 'teacher' in table and '90.00' in table


def test_config_without_rows_is_refused(tmp_path):
    config = tmp_path / 'plain.py'
    config.write_text("model = dict(type='X')\n")
    with pytest.raises(KeyError, match='ablation_rows'):
        _tool().main([str(config)])


def test_digits_config_rows_exist():
    from mmengine.config import Config
    cfg = Config.fromfile(REPO_ROOT / 'configs/asym/r18_digits.py')
    base = REPO_ROOT / 'configs/asym'
    assert (base / cfg.teacher_config).resolve().is_file()
    assert [name for name, _ in cfg.ablation_rows][:2] == ['vanilla CE', '+ CutMix']
    for _, path in cfg.ablation_rows:
        assert (base / path).resolve().is_file(), path
