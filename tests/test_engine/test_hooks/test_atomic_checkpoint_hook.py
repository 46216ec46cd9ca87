"""AtomicCheckpointHook (what configs get for `type='CheckpointHook'`): checked options, atomic files that survive a
kill mid-save, weights-only loadable content, and no non-finite checkpoint."""
import io
import os.path as osp

import pytest
import torch
from mmengine.logging import MessageHub, MMLogger

from openmixosr.engine import load_weights_only
from openmixosr.registry import HOOKS
from openmixosr.utils.checkpoint_io import find_resumable_checkpoint


class _Runner:
    """The part of MMEngine's Runner the checkpoint hook uses; ``save_checkpoint`` writes like MMEngine 0.10 (a
    ``before_save_checkpoint`` call, then the bytes written in place) and can be killed half-way through."""

    max_epochs = 10

    def __init__(self, work_dir, hook):
        self.work_dir = str(work_dir)
        self.hook = hook
        self.message_hub = MessageHub.get_instance(f'atomic-checkpoint-{id(self)}')
        self.logger = MMLogger.get_current_instance()
        self.epoch = self.iter = 0
        self.weights = torch.zeros(1000)
        self.kill_mid_save = False

    def save_checkpoint(self, out_dir, filename, file_client_args=None, save_optimizer=True,
                        save_param_scheduler=True, meta=None, by_epoch=True, backend_args=None):
        checkpoint = dict(meta=meta, state_dict={'w': self.weights.clone()}, message_hub=self.message_hub.state_dict())
        self.hook.before_save_checkpoint(self, checkpoint)
        buffer = io.BytesIO()
        torch.save(checkpoint, buffer)
        data = buffer.getvalue()
        with open(osp.join(out_dir, filename), 'wb') as file:
            if self.kill_mid_save:
                file.write(data[:len(data) // 2])
                raise KeyboardInterrupt('killed while saving')
            file.write(data)

    def end_epoch(self):
        """What the train loop does at the end of an epoch: the hook saves, then the epoch counter moves on."""
        self.message_hub.update_scalar('train/loss', 1.0 / (self.epoch + 1))  # a HistoryBuffer in the checkpoint
        self.hook.after_train_epoch(self)
        self.epoch += 1


def _run(tmp_path, **options):
    hook = HOOKS.build(dict(type='CheckpointHook', interval=1, **options))  # the name configs use
    runner = _Runner(tmp_path, hook)
    hook.before_train(runner)
    return hook, runner


def _last_checkpoint(tmp_path):
    return (tmp_path / 'last_checkpoint').read_text().strip()


def test_config_name_checkpoint_hook_builds_the_atomic_one():
    assert type(HOOKS.build(dict(type='CheckpointHook'))).__name__ == 'AtomicCheckpointHook'


def test_option_typo_fails_when_the_hook_is_built():
    # MMEngine passes unknown options to Runner.save_checkpoint: the typo failed at the first save, after an epoch.
    with pytest.raises(TypeError, match="'max_keep_ckpt' \\(did you mean 'max_keep_ckpts'\\?\\)"):
        HOOKS.build(dict(type='CheckpointHook', interval=1, max_keep_ckpt=1))


def test_kill_during_save_keeps_the_previous_checkpoint(tmp_path):
    hook, runner = _run(tmp_path, max_keep_ckpts=1)
    runner.end_epoch()
    assert _last_checkpoint(tmp_path) == str(tmp_path / 'epoch_1.pth')
    runner.weights += 1
    runner.kill_mid_save = True
    with pytest.raises(KeyboardInterrupt):
        runner.end_epoch()
    # MMEngine deleted epoch_1.pth before writing epoch_2.pth in place: the run was lost.
    assert _last_checkpoint(tmp_path) == str(tmp_path / 'epoch_1.pth')
    assert torch.equal(load_weights_only(str(tmp_path / 'epoch_1.pth'))['state_dict']['w'], torch.zeros(1000))
    assert not (tmp_path / 'epoch_2.pth').exists()
    assert find_resumable_checkpoint(str(tmp_path)) == (str(tmp_path / 'epoch_1.pth'), [])

    # Resumed from epoch_1.pth in a new process (MMEngine restores the message hub, then runs before_train): the stale
    # temporary file of the killed save is removed, the next save completes, last_checkpoint names it, and the
    # outdated checkpoint is deleted only after that.
    checkpoint = load_weights_only(str(tmp_path / 'epoch_1.pth'))
    hook = HOOKS.build(dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
    resumed = _Runner(tmp_path, hook)
    hook.after_load_checkpoint(resumed, checkpoint)
    resumed.message_hub.load_state_dict(checkpoint['message_hub'])
    hook.before_train(resumed)
    assert not list(tmp_path.glob('.*.tmp'))
    resumed.epoch, resumed.weights = 1, runner.weights
    resumed.end_epoch()
    assert _last_checkpoint(tmp_path) == str(tmp_path / 'epoch_2.pth')
    assert sorted(path.name for path in tmp_path.glob('*.pth')) == ['epoch_2.pth']


def test_checkpoints_load_with_weights_only(tmp_path):
    # The message hub's HistoryBuffer objects need builtins.getattr to unpickle; the hook stores plain arrays.
    hook, runner = _run(tmp_path)
    runner.end_epoch()
    checkpoint = load_weights_only(str(tmp_path / 'epoch_1.pth'))
    hook.after_load_checkpoint(runner, checkpoint)
    assert checkpoint['message_hub']['log_scalars']['train/loss'].current() == 1.0


def test_non_finite_weights_are_never_saved(tmp_path):
    hook, runner = _run(tmp_path, max_keep_ckpts=1)
    runner.end_epoch()
    runner.weights[3] = float('nan')
    with pytest.raises(FloatingPointError, match='NaN/Inf'):
        runner.end_epoch()
    assert sorted(path.name for path in tmp_path.glob('*.pth')) == ['epoch_1.pth']
    assert _last_checkpoint(tmp_path) == str(tmp_path / 'epoch_1.pth')


def _best_files(tmp_path):
    return sorted(path.name for path in tmp_path.glob('best_*.pth'))


def test_kill_during_a_best_save_keeps_the_previous_best(tmp_path):
    hook, runner = _run(tmp_path, max_keep_ckpts=1, save_best='osr/auroc', rule='greater')
    runner.end_epoch()
    hook.after_val_epoch(runner, {'osr/auroc': 50.0})
    assert _best_files(tmp_path) == ['best_osr_auroc_epoch_1.pth']
    runner.weights += 1
    runner.end_epoch()
    runner.kill_mid_save = True
    with pytest.raises(KeyboardInterrupt):
        hook.after_val_epoch(runner, {'osr/auroc': 60.0})
    # MMEngine deleted best_osr_auroc_epoch_1.pth, then wrote half of best_osr_auroc_epoch_2.pth under its final name.
    assert _best_files(tmp_path) == ['best_osr_auroc_epoch_1.pth']
    best = load_weights_only(str(tmp_path / 'best_osr_auroc_epoch_1.pth'))
    assert torch.equal(best['state_dict']['w'], torch.zeros(1000)) and 'optimizer' not in best

    # The next run of the work dir removes the stale temporary file of the killed save.
    assert [path.name for path in tmp_path.glob('.best_*.tmp')] == ['.best_osr_auroc_epoch_2.pth.tmp']
    fresh = HOOKS.build(dict(type='CheckpointHook', interval=1, save_best='osr/auroc', rule='greater'))
    fresh.before_train(_Runner(tmp_path, fresh))
    assert not list(tmp_path.glob('.*.tmp'))


def test_a_new_best_replaces_the_previous_one_once_written(tmp_path):
    hook, runner = _run(tmp_path, max_keep_ckpts=1, save_best='osr/auroc', rule='greater')
    for auroc in (50.0, 40.0, 60.0):
        runner.end_epoch()
        hook.after_val_epoch(runner, {'osr/auroc': auroc})
        runner.weights += 1
    assert _best_files(tmp_path) == ['best_osr_auroc_epoch_3.pth']
    best = load_weights_only(str(tmp_path / 'best_osr_auroc_epoch_3.pth'))
    assert torch.equal(best['state_dict']['w'], torch.full((1000, ), 2.0))
    assert runner.message_hub.get_info('best_score') == 60.0
    assert runner.message_hub.get_info('best_ckpt') == str(tmp_path / 'best_osr_auroc_epoch_3.pth')
    # The last checkpoint is saved again after a new best, so that a resumed run knows (and later replaces) it.
    last = load_weights_only(_last_checkpoint(tmp_path))
    assert last['message_hub']['runtime_info']['best_ckpt'] == str(tmp_path / 'best_osr_auroc_epoch_3.pth')
    assert not list(tmp_path.glob('.*.tmp'))


def test_best_checkpoints_of_several_indicators(tmp_path):
    hook, runner = _run(tmp_path, save_best=['osr/auroc', 'osr/fpr95'], rule=['greater', 'less'])
    for auroc, fpr95 in ((50.0, 40.0), (60.0, 45.0)):
        runner.end_epoch()
        hook.after_val_epoch(runner, {'osr/auroc': auroc, 'osr/fpr95': fpr95})
    assert _best_files(tmp_path) == ['best_osr_auroc_epoch_2.pth', 'best_osr_fpr95_epoch_1.pth']
    assert runner.message_hub.get_info('best_score_osr/fpr95') == 40.0
    assert runner.message_hub.get_info('best_ckpt_osr/auroc') == str(tmp_path / 'best_osr_auroc_epoch_2.pth')
