"""tools/linear_eval_table.py end to end: pre-train MoCo v2 and AMix-I, linear-evaluate both, one table; run again,
nothing trains.

Tiny on purpose (128 digits, 1 epoch each): the wiring is tested -- the pre-training checkpoint reaches the frozen
backbone of the linear model and the table has a row per pre-training -- not the accuracy.
"""
import json
import re

import torch

from openmixosr.engine import load_weights_only
from tests.helpers.run_tool import REPO_ROOT, run_tool

LINEAR_DIGITS = REPO_ROOT / 'configs/selfsup/linear_eval/linear_r18w16_digits.py'
PRETRAIN = {name: REPO_ROOT / f'configs/selfsup/{name}.py' for name in ('mocov2_r18w16_digits', 'amix_i_r18w16_digits')}


def _backbone(checkpoint):
    state = load_weights_only(str(checkpoint))['state_dict']
    return {key[len('backbone.'):]: value for key, value in state.items() if key.startswith('backbone.')}


def test_pretrain_then_linear_eval_prints_one_row_per_config(tmp_path):
    work = tmp_path / 'table'
    arguments = [LINEAR_DIGITS, '--pretrain', *PRETRAIN.values(), '--work-dir', work,
                 '--cfg-options', 'train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=128',
                 '--linear-cfg-options', 'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
                 'train_dataloader.dataset.indices=128']
    result = run_tool('linear_eval_table.py', *arguments)
    table = (work / 'linear_eval.txt').read_text()
    assert table.strip() in result.stdout
    lines = table.strip().splitlines()
    assert lines[0].startswith('Linear evaluation of linear_r18w16_digits.py')
    assert [c.strip() for c in lines[1].split('|')] == ['method', 'accuracy', 'AUROC', 'OSCR']
    rows = {cells[0]: cells[1:] for cells in ([c.strip() for c in line.split('|')] for line in lines[3:])}
    assert set(rows) == set(PRETRAIN)
    for cells in rows.values():
        assert len(cells) == 3
        assert all(re.fullmatch(r'\d+\.\d\d', cell) and 0.0 <= float(cell) <= 100.0 for cell in cells), cells

    backbones = []
    for name in PRETRAIN:
        pretrain_dir = work / name / 'seed0'
        checkpoint = (pretrain_dir / 'last_checkpoint').read_text().strip()
        assert checkpoint.endswith('epoch_1.pth')
        # The linear run's log says where its backbone came from, and every backbone key matched.
        linear_log = (pretrain_dir / 'linear' / 'train.log').read_text()
        assert f'load backbone. in model from: {checkpoint}' in linear_log
        assert 'do not match exactly' not in linear_log, 'missing / unexpected / mis-shaped backbone keys'
        # Frozen backbone: the linear model ends with exactly the pre-trained weights and BN statistics.
        pretrained = _backbone(checkpoint)
        linear = _backbone((pretrain_dir / 'linear' / 'last_checkpoint').read_text().strip())
        assert pretrained and pretrained.keys() == linear.keys()
        for key in pretrained:
            assert torch.equal(pretrained[key], linear[key]), key
        backbones.append(pretrained)
    assert any(not torch.equal(backbones[0][k], backbones[1][k]) for k in backbones[0]), 'two different pre-trainings'

    # The run queue keeps every finished run (pre-training and linear evaluation): the same table, no run again.
    logs = sorted(work.glob('*/seed0/**/train.log'))
    assert len(logs) == 4 and all((work / name / 'seed0' / 'linear' / 'metrics.json').is_file() for name in PRETRAIN)
    record = json.loads((work / 'mocov2_r18w16_digits' / 'seed0' / 'linear' / 'metrics.json').read_text())
    assert list(record['identity']['inputs']) == ['pretrained']  # the pre-training's checkpoint, by content
    stamps = [log.stat().st_mtime_ns for log in logs]
    again = run_tool('linear_eval_table.py', *arguments)
    assert table.strip() in again.stdout and (work / 'linear_eval.txt').read_text() == table
    assert [log.stat().st_mtime_ns for log in logs] == stamps
