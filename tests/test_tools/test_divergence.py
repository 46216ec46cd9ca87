"""A diverging run stops at its first non-finite loss with the iteration, and writes no NaN checkpoint."""
import pytest

from tests.helpers.run_tool import REPO_ROOT, run_tool

CE_DIGITS = REPO_ROOT / 'configs/baselines/ce_r18w16_digits.py'
ASYM_DIGITS = REPO_ROOT / 'configs/asym/r18_digits.py'


@pytest.mark.parametrize('config, extra', [(CE_DIGITS, []), (ASYM_DIGITS, ['model.teacher_checkpoint=None'])],
                         ids=['ce', 'distiller'])
def test_divergence_stops_at_the_first_non_finite_loss(config, extra, tmp_path):
    # Before: with --no-validate the run trained on NaN weights to the end, saved NaN checkpoints and exited 0.
    result = run_tool('train.py', config, '--work-dir', tmp_path, '--no-validate', '--cfg-options',
                      'optim_wrapper.optimizer.lr=1e30', 'train_cfg.max_epochs=2',
                      'default_hooks.checkpoint.interval=1', 'train_dataloader.dataset.indices=128',
                      'train_dataloader.batch_size=32', *extra, '--allow-batch-change', check=False)
    assert result.returncode != 0
    assert 'FloatingPointError: Training diverged: non-finite loss at iteration' in result.stderr
    assert 'Lower the learning rate' in result.stderr
    assert not list(tmp_path.glob('*.pth')), 'a diverged run must not write checkpoints'
