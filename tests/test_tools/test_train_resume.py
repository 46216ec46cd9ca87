"""End to end on the embedded digits: train, resume to the same weights, test with a dump, distributed on CPU."""
import json
import socket

import numpy as np
import pytest
import torch

from openmixosr.engine import load_weights_only
from tests.helpers.run_tool import REPO_ROOT, run_tool

CUTMIX_DIGITS = REPO_ROOT / 'configs/baselines/cutmix_r18w16_digits.py'
CE_DIGITS = REPO_ROOT / 'configs/baselines/ce_r18w16_digits.py'
AMIX_DIGITS = REPO_ROOT / 'configs/amix/amix_r18w16_digits.py'
ASYM_DIGITS = REPO_ROOT / 'configs/asym/r18_digits.py'
SHORT = ['train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1',
         'train_dataloader.dataset.indices=384']


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _state_dict(path):
    return load_weights_only(str(path))['state_dict']


@pytest.mark.parametrize('config, extra', [(CUTMIX_DIGITS, []), (AMIX_DIGITS, []),
                                           (ASYM_DIGITS, ['model.teacher_checkpoint=None'])],
                         ids=['cutmix', 'amix', 'asym'])
def test_resume_continues_identically(config, extra, tmp_path):
    # CutMix and AMix draw random numbers every step and validation runs every epoch: neither may break the repeat.
    # AMix adds the momentum encoder, the Mix Block+ (learnable gamma, BN, dropout) and the hook's schedules.
    # The distiller (random teacher here) draws raw/mixed steps and CutMix boxes.
    # The interrupted run has the same config (so the same lr schedule) and stops like Ctrl-C after epoch 2.
    from mmengine.config import Config
    hooks = Config.fromfile(config).custom_hooks + [dict(type='InterruptHook', after_epoch=2)]
    interrupting = tmp_path / 'interrupting.py'
    interrupting.write_text(f"_base_ = ['{config}']\n"
                            "custom_imports = dict(imports=['tests.helpers.interrupt_hook'], allow_failed_imports=False)\n"
                            f"custom_hooks = {hooks!r}\n")
    options = ['--cfg-options', 'train_cfg.max_epochs=3', *SHORT, *extra]
    uninterrupted, interrupted = tmp_path / 'full', tmp_path / 'resumed'
    run_tool('train.py', config, '--work-dir', uninterrupted, *options)
    stopped = run_tool('train.py', interrupting, '--work-dir', interrupted, *options, check=False)
    assert stopped.returncode != 0 and 'interrupted after epoch 2' in stopped.stderr
    assert not (interrupted / 'epoch_3.pth').exists()
    run_tool('train.py', config, '--work-dir', interrupted, '--resume', *options)
    expected, resumed = _state_dict(uninterrupted / 'epoch_3.pth'), _state_dict(interrupted / 'epoch_3.pth')
    epoch_2 = _state_dict(interrupted / 'epoch_2.pth')
    assert expected.keys() == resumed.keys()
    for key in expected:
        assert torch.equal(expected[key], resumed[key]), key
    assert any(not torch.equal(expected[key], epoch_2[key]) for key in expected)  # epoch 3 did train


def test_train_then_test_dumps_scores(tmp_path):
    work_dir = tmp_path / 'work'
    run_tool('train.py', CE_DIGITS, '--work-dir', work_dir, '--cfg-options', 'train_cfg.max_epochs=2', *SHORT)
    out = tmp_path / 'scores.npz'
    result = run_tool('test.py', CE_DIGITS, work_dir / 'epoch_2.pth', '--work-dir', work_dir, '--out', out)
    assert 'osr/auroc' in result.stdout + result.stderr
    dump = np.load(out, allow_pickle=False)
    assert dump['logits'].shape == (len(dump['labels']), 6)
    assert (dump['labels'] == -1).any() and (dump['labels'] >= 0).any()
    run_tool('analysis/plot_osr_curves.py', out, '--out-dir', tmp_path / 'curves')
    assert (tmp_path / 'curves' / 'roc.png').stat().st_size > 0
    assert (tmp_path / 'curves' / 'oscr.png').stat().st_size > 0


def test_split_option_reaches_datasets(tmp_path):
    # --cfg-options split=3 must change the known classes of the train and test sets.
    from mmengine.config import Config

    from openmixosr.utils import apply_osr_split
    cfg = Config.fromfile(CE_DIGITS)
    cfg.merge_from_dict({'split': 3})
    apply_osr_split(cfg)
    assert cfg.train_dataloader.dataset.osr_split == 3
    assert cfg.test_dataloader.dataset.osr_split == 3


def test_distributed_cpu_training_two_processes(tmp_path, monkeypatch):
    monkeypatch.setenv('PORT', str(_free_port()))
    config = tmp_path / 'ddp_digits.py'
    config.write_text(f"_base_ = ['{CE_DIGITS}']\n"
                      "custom_imports = dict(imports=['tests.helpers.rank_report_hook'], allow_failed_imports=False)\n"
                      "custom_hooks = [dict(type='SafeCheckpointHook'), dict(type='RandomStateHook'), "
                      "dict(type='RankReportHook')]\n")
    work_dir = tmp_path / 'work'
    run_tool('dist_train.sh', config, 2, '--work-dir', work_dir, '--cfg-options', 'train_cfg.max_epochs=2', *SHORT,
             'train_dataloader.batch_size=32')
    reports = [json.loads((work_dir / f'rank{rank}.json').read_text()) for rank in (0, 1)]
    assert reports[0]['metrics'] == reports[1]['metrics']
    assert 'osr/auroc' in reports[0]['metrics']
    # DDP averaged the gradients: both replicas hold the same weights after training.
    assert reports[0]['checksum'] == pytest.approx(reports[1]['checksum'], rel=0, abs=1e-9)
