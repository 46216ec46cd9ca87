"""End to end on the embedded digits: train, resume to the same weights, test with a dump, distributed on CPU."""
import hashlib
import json
import re
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
ASYM_AMIX_MASK_DIGITS = REPO_ROOT / 'configs/asym/r18_digits_amix_mask.py'
AMIX_C_SELFSUP_DIGITS = REPO_ROOT / 'configs/selfsup/amix_c_r18w16_digits.py'
AMIX_I_SELFSUP_DIGITS = REPO_ROOT / 'configs/selfsup/amix_i_r18w16_digits.py'
SHORT = ['train_cfg.val_interval=1', 'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1',
         'train_dataloader.dataset.indices=192']  # 3 steps of 64 per epoch
# Pre-training: batches of 32 (the 512-entry queue takes whole batches), no validation. In one process that is half
# the recipe's total batch of 64: --allow-batch-change (two processes of 32 make the recipe's 64).
SELFSUP_SHORT = ['default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1',
                 'train_dataloader.batch_size=32']


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _state_dict(path):
    return load_weights_only(str(path))['state_dict']


def _resume_matches_uninterrupted(config, options, tmp_path):
    """Train ``config`` for 3 epochs, then resume its epoch-2 checkpoint into a new work dir and train epoch 3 again.

    Two runs: the uninterrupted one and the resumed one (what a run stopped after epoch 2 restarts from: the same
    checkpoint). Returns the epoch-3 state dicts (uninterrupted, resumed), the epoch-2 state dict and the output of
    the resumed run.
    """
    options = ['--cfg-options', 'train_cfg.max_epochs=3', *options]
    uninterrupted, resumed_dir = tmp_path / 'full', tmp_path / 'resumed'
    run_tool('train.py', config, '--work-dir', uninterrupted, *options)
    resumed_run = run_tool('train.py', config, '--work-dir', resumed_dir, '--resume', uninterrupted / 'epoch_2.pth',
                           *options)
    assert 'resumed epoch: 2' in resumed_run.stdout + resumed_run.stderr
    assert not (resumed_dir / 'epoch_1.pth').exists() and not (resumed_dir / 'epoch_2.pth').exists()
    expected, resumed = _state_dict(uninterrupted / 'epoch_3.pth'), _state_dict(resumed_dir / 'epoch_3.pth')
    epoch_2 = _state_dict(uninterrupted / 'epoch_2.pth')
    assert expected.keys() == resumed.keys()
    for key in expected:
        assert torch.equal(expected[key], resumed[key]), key
    assert any(not torch.equal(expected[key], epoch_2[key]) for key in expected)  # epoch 3 did train
    return expected, resumed, epoch_2, resumed_run.stdout + resumed_run.stderr


@pytest.mark.parametrize('config, extra', [(CUTMIX_DIGITS, []), (AMIX_DIGITS, []),
                                           (ASYM_DIGITS, ['model.teacher_checkpoint=None']),
                                           (ASYM_AMIX_MASK_DIGITS, ['model.teacher_checkpoint=None'])],
                         ids=['cutmix', 'amix', 'asym', 'asym_learned_masks'])
def test_resume_continues_identically(config, extra, tmp_path):
    # CutMix and AMix draw random numbers every step and validation runs every epoch: neither may break the repeat.
    # AMix adds the momentum encoder, the Mix Block+ (learnable gamma, BN, dropout) and the hook's schedules.
    # The distiller (random teacher here) draws raw/mixed steps and CutMix boxes; with learned masks it also trains a
    # Mix Block+ (BN, dropout) through the teacher, and its mask-loss weight follows MaskLossScheduleHook.
    # The resumed run has the same config (so the same lr schedule) and starts from the epoch-2 checkpoint.
    _resume_matches_uninterrupted(config, [*SHORT, *extra], tmp_path)


@pytest.mark.parametrize('config, samples', [(AMIX_C_SELFSUP_DIGITS, 128), (AMIX_I_SELFSUP_DIGITS, 64)],
                         ids=['amix_c', 'amix_i'])
def test_selfsup_resume_continues_identically(config, samples, tmp_path):
    # Self-supervised AMix: no validation; the MoCo queue (a buffer), the momentum encoder and the Mix Block+ must
    # repeat. AMix-C adds the memory of keys, the k-means pseudo labels and centroids (buffers as well): the resumed
    # run must take them from the checkpoint, not fill the memory and cluster again before its first step. (AMix-I on
    # 2 batches per epoch only, to keep it cheap: AMix-C covers everything it has.)
    options = [*SELFSUP_SHORT, f'train_dataloader.dataset.indices={samples}', '--allow-batch-change']
    expected, resumed, epoch_2, output = _resume_matches_uninterrupted(config, options, tmp_path)
    assert 'queue' in expected
    if config == AMIX_C_SELFSUP_DIGITS:
        assert expected['memory'].shape == (128, 128) and expected['pseudo_labels'].shape == (128, )
        assert bool((expected['pseudo_labels'] >= 0).all()) and expected['centroids'].shape == (10, 128)
        assert not torch.equal(epoch_2['memory'], expected['memory'])  # epoch 3 refreshed the memory
        assert 'AMix-C pseudo labels after 0 epoch(s)' not in output, 'the resumed run re-did the initial clustering'
        assert 'AMix-C pseudo labels after 3 epoch(s)' in output


def test_train_then_test_dumps_scores(tmp_path):
    work_dir = tmp_path / 'work'
    run_tool('train.py', CE_DIGITS, '--work-dir', work_dir, '--cfg-options', 'train_cfg.max_epochs=2', *SHORT)
    meta = load_weights_only(str(work_dir / 'epoch_2.pth'))['meta']  # what the model states about itself
    assert meta['model_type'] == 'OpenSetClassifier' and meta['evaluated_weights'] == {'': ''}
    out = tmp_path / 'scores.npz'
    result = run_tool('test.py', CE_DIGITS, work_dir / 'epoch_2.pth', '--work-dir', work_dir, '--out', out)
    assert 'osr/auroc' in result.stdout + result.stderr
    dump = np.load(out, allow_pickle=False)
    assert dump['logits'].shape == (len(dump['labels']), 6)
    assert (dump['labels'] == -1).any() and (dump['labels'] >= 0).any()
    run_tool('analysis/plot_osr_curves.py', out, '--out-dir', tmp_path / 'curves')
    assert (tmp_path / 'curves' / 'roc.png').stat().st_size > 0
    assert (tmp_path / 'curves' / 'oscr.png').stat().st_size > 0


def test_own_custom_hooks_keep_checkpoints_loadable_and_resume_skips_a_truncated_latest(tmp_path):
    # A config with its own `custom_hooks` list (MMEngine replaces lists) used to drop the hook that makes checkpoints
    # weights-only loadable: training exited 0, then --resume and test.py failed on HistoryBuffer. It is now part of
    # the checkpoint hook, and every hook of the runtimes lives in default_hooks (merged by key).
    config = tmp_path / 'own_hooks.py'
    config.write_text(f"_base_ = ['{CE_DIGITS}']\ncustom_hooks = []\n")
    work_dir = tmp_path / 'work'
    options = ['--no-validate', '--cfg-options', 'train_cfg.max_epochs=2', *SHORT,
               'train_dataloader.dataset.indices=128']
    run_tool('train.py', config, '--work-dir', work_dir, *options)
    result = run_tool('test.py', config, work_dir / 'epoch_2.pth', '--work-dir', work_dir)
    assert 'osr/auroc' in result.stdout

    # The latest checkpoint is truncated (what a kill during a non-atomic save left): --resume says so and continues
    # from the newest readable one instead of failing.
    data = (work_dir / 'epoch_2.pth').read_bytes()
    (work_dir / 'epoch_2.pth').write_bytes(data[:len(data) // 2])
    resumed = run_tool('train.py', config, '--work-dir', work_dir, '--resume', *options)
    log = resumed.stdout + resumed.stderr
    assert f'{work_dir / "epoch_2.pth"} is corrupted or incomplete' in log
    assert f'resuming from the newest readable checkpoint {work_dir / "epoch_1.pth"}' in log
    assert 'resumed epoch: 1' in log
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'epoch_2.pth')
    assert _state_dict(work_dir / 'epoch_2.pth').keys() == _state_dict(work_dir / 'epoch_1.pth').keys()


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
                      "custom_hooks = [dict(type='RankReportHook')]\n")
    work_dir = tmp_path / 'work'
    run_tool('dist_train.sh', config, 2, '--work-dir', work_dir, '--cfg-options', 'train_cfg.max_epochs=2', *SHORT,
             'train_dataloader.batch_size=32')
    reports = [json.loads((work_dir / f'rank{rank}.json').read_text()) for rank in (0, 1)]
    assert reports[0]['metrics'] == reports[1]['metrics']
    assert 'osr/auroc' in reports[0]['metrics']
    # DDP averaged the gradients: both replicas hold the same weights after training.
    assert reports[0]['checksum'] == pytest.approx(reports[1]['checksum'], rel=0, abs=1e-9)
    # The last validation used the BatchNorm statistics the checkpoint holds (process 0's): test.py on the checkpoint
    # reports the same metrics. Each process used to validate its share with its own statistics (0.3 points apart).
    result = run_tool('test.py', CE_DIGITS, work_dir / 'epoch_2.pth', '--work-dir', work_dir)
    tested = {name: float(value) for name, value in re.findall(r'(osr/\w+): ([\d.]+)', result.stdout)}
    for name in ('osr/accuracy', 'osr/auroc', 'osr/oscr'):
        assert tested[name] == pytest.approx(reports[0]['metrics'][name], abs=2e-4), name


def test_distributed_cpu_distiller_with_learned_masks_two_processes(tmp_path, monkeypatch):
    # The distiller's Mix Block+ trains in mixed steps only, and each rank draws its own raw / mixed steps: the ranks
    # must still agree on the trained parameters (DDP) and end bit-identical.
    monkeypatch.setenv('PORT', str(_free_port()))
    config = tmp_path / 'ddp_asym_learned_masks.py'
    config.write_text(f"_base_ = ['{ASYM_AMIX_MASK_DIGITS}']\n"
                      "custom_imports = dict(imports=['tests.helpers.rank_report_hook'], allow_failed_imports=False)\n"
                      "custom_hooks = [dict(type='RankReportHook')]\n")
    work_dir = tmp_path / 'work'
    run_tool('dist_train.sh', config, 2, '--work-dir', work_dir, '--cfg-options', 'train_cfg.max_epochs=2', *SHORT,
             'model.teacher_checkpoint=None', 'train_dataloader.batch_size=32')
    reports = [json.loads((work_dir / f'rank{rank}.json').read_text()) for rank in (0, 1)]
    assert reports[0]['param_digest'] == reports[1]['param_digest']
    assert reports[0]['metrics'] == reports[1]['metrics'] and 'osr/auroc' in reports[0]['metrics']
    state = _state_dict(work_dir / 'epoch_2.pth')
    assert any(key.startswith('mixer.mix_block.') for key in state)


def test_distributed_cpu_amix_c_two_processes(tmp_path, monkeypatch):
    # AMix-C under DDP: every rank stores the keys of all ranks' batches (gather_rows) and k-means runs on rank 0 and
    # is broadcast, so both ranks must end with the same memory, pseudo labels and centroids, besides the same weights
    # and queue.
    # 128 digits -> 64 per rank, 2 steps of 32 per rank (global batch 64 divides the 512-entry queue).
    monkeypatch.setenv('PORT', str(_free_port()))
    hooks = [dict(type='RankReportHook', buffers=['memory', 'pseudo_labels', 'centroids', 'queue'])]
    config = tmp_path / 'ddp_amix_c.py'
    config.write_text(f"_base_ = ['{AMIX_C_SELFSUP_DIGITS}']\n"
                      "custom_imports = dict(imports=['tests.helpers.rank_report_hook'], allow_failed_imports=False)\n"
                      f"custom_hooks = {hooks!r}\n")
    work_dir = tmp_path / 'work'
    run_tool('dist_train.sh', config, 2, '--work-dir', work_dir, '--cfg-options', 'train_cfg.max_epochs=1',
             *SELFSUP_SHORT, 'train_dataloader.dataset.indices=128')
    reports = [json.loads((work_dir / f'rank{rank}.json').read_text()) for rank in (0, 1)]
    assert reports[0]['param_digest'] == reports[1]['param_digest']  # bit-identical replicas
    assert reports[0]['buffers'] == reports[1]['buffers']
    memory, labels = reports[0]['buffers']['memory'], reports[0]['buffers']['pseudo_labels']
    assert memory['shape'] == [128, 128] and labels['shape'] == [128]
    assert memory['min_row_norm'] == pytest.approx(1.0, abs=1e-4)  # every sample's row holds a normalised key
    assert 0 <= labels['min'] and labels['max'] < 10
    assert reports[0]['buffers']['centroids']['min_row_norm'] == pytest.approx(1.0, abs=1e-4)
    log = next(work_dir.glob('*/*.log')).read_text()
    assert 'AMix-C pseudo labels after 0 epoch(s)' in log and 'AMix-C pseudo labels after 1 epoch(s)' in log
    # The checkpoint (written by rank 0) holds the same memory, pseudo labels and centroids as both ranks.
    state = _state_dict(work_dir / 'epoch_1.pth')
    for name in ('memory', 'pseudo_labels', 'centroids'):
        assert hashlib.sha256(state[name].contiguous().numpy().tobytes()).hexdigest() == reports[1]['buffers'][name][
            'digest'], name
