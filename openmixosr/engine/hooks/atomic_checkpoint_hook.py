"""MMEngine's ``CheckpointHook`` made safe: checked options, atomic files, weights-only content, finite weights."""
import difflib
import glob
import inspect
import os
import os.path as osp
import re

import torch
from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook

from openmixosr.registry import HOOKS
from openmixosr.utils.checkpoint_io import message_hub_from_plain, message_hub_to_plain

#: The options of MMEngine's ``CheckpointHook`` (MMEngine passes any other keyword to ``Runner.save_checkpoint``,
#: which rejects it at the first save, after a whole epoch).
CHECKPOINT_HOOK_OPTIONS = tuple(
    name for name, parameter in inspect.signature(CheckpointHook.__init__).parameters.items()
    if name != 'self' and parameter.kind is not inspect.Parameter.VAR_KEYWORD)
_TEMPORARY_SUFFIX = '.tmp'


def check_checkpoint_hook_options(options) -> None:
    """Refuse options that MMEngine's ``CheckpointHook`` does not have, naming the closest one.

    Args:
        options (Iterable[str]): Keyword arguments given to the hook.

    Raises:
        TypeError: For an unknown option.
    """
    unknown = sorted(set(options) - set(CHECKPOINT_HOOK_OPTIONS))
    if not unknown:
        return
    hints = []
    for name in unknown:
        close = difflib.get_close_matches(name, CHECKPOINT_HOOK_OPTIONS, n=1)
        hints.append(f'{name!r}' + (f' (did you mean {close[0]!r}?)' if close else ''))
    raise TypeError(f'default_hooks.checkpoint: unknown option {", ".join(hints)}. CheckpointHook takes '
                    f'{", ".join(CHECKPOINT_HOOK_OPTIONS)}.')


def _fsync(path: str) -> None:
    """Flush a file (or a directory entry) to disk; best effort where the OS does not allow it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish_file(temporary: str, final: str) -> None:
    """Move a completely written ``temporary`` file to ``final`` in one atomic step (``os.replace``)."""
    _fsync(temporary)
    os.replace(temporary, final)
    _fsync(osp.dirname(final) or '.')


def write_text_atomically(path: str, text: str) -> None:
    """Replace ``path`` by a file holding ``text``; a kill at any moment leaves the old or the new content."""
    temporary = path + _TEMPORARY_SUFFIX
    with open(temporary, 'w') as file:
        file.write(text)
    publish_file(temporary, path)


def non_finite_entries(state_dict) -> list:
    """Names of the floating-point tensors of a state dict that hold NaN or Inf."""
    return [name for name, value in state_dict.items()
            if isinstance(value, torch.Tensor) and value.is_floating_point() and not torch.isfinite(value).all()]


@HOOKS.register_module(name=['AtomicCheckpointHook', 'CheckpointHook'])
class AtomicCheckpointHook(CheckpointHook):
    """MMEngine's ``CheckpointHook`` with the same options and files, safe against typos, kills and divergence.

    - **Options are checked when the hook is built**, before training starts: MMEngine hands unknown ones to
      ``Runner.save_checkpoint``, which fails at the first save (``max_keep_ckpt=1`` after a whole epoch).
    - **Atomic files.** A checkpoint is written to a temporary file next to its final name and renamed
      (``os.replace``); ``last_checkpoint`` is replaced the same way after that rename, and outdated checkpoints
      (``max_keep_ckpts``) are deleted only then. MMEngine deletes the outdated file first and writes in place, so a
      kill during the save of a ``max_keep_ckpts=1`` run left a half-written file and a ``last_checkpoint`` naming a
      deleted one. Stale temporary files of a killed save are removed when training starts.
    - **Loadable with weights_only.** The message hub's ``HistoryBuffer`` objects are stored as plain arrays (see
      :func:`~openmixosr.utils.checkpoint_io.message_hub_to_plain`) and rebuilt on resume; this hook is the one place
      that converts them. Being the checkpoint hook itself (``default_hooks.checkpoint``, merged by key), this cannot
      be lost by a config that replaces the ``custom_hooks`` list. The history of a checkpoint written by MMEngine's
      own hook cannot be read safely: resuming from one leaves it out, with a warning.
    - **Finite weights only.** A save whose model state holds NaN or Inf raises ``FloatingPointError`` instead of
      writing the file (and pushing good checkpoints out of the kept ones).

    - **Best checkpoints too.** The ``best_*.pth`` of ``save_best`` are written the same way (temporary file, then
      ``os.replace``), and the previous best is deleted only after the new one is in place. MMEngine deletes the
      previous best first and writes the new one in place: a kill or a full disk during that save left no best
      checkpoint, or a truncated one under the final name.

    The hook is also registered as ``CheckpointHook`` in OpenMixOSR's scope, so a config that names MMEngine's hook
    (``dict(type='CheckpointHook', ...)``) gets this one; ``type='mmengine.CheckpointHook'`` selects MMEngine's.

    Args:
        *args, **kwargs: The options of :class:`mmengine.hooks.CheckpointHook`.

    Raises:
        TypeError: For an option ``CheckpointHook`` does not have.
    """

    def __init__(self, *args, **kwargs):
        check_checkpoint_hook_options(kwargs)
        super().__init__(*args, **kwargs)

    def before_train(self, runner) -> None:
        super().before_train(runner)
        if is_main_process() and isinstance(self.file_backend, LocalBackend):
            pattern = re.escape(self.filename_tmpl).replace(r'\{\}', r'\d+')
            for path in glob.glob(osp.join(self.out_dir, f'.*{_TEMPORARY_SUFFIX}')):
                if re.fullmatch(rf'\.(best_.+_)?{pattern}{re.escape(_TEMPORARY_SUFFIX)}', osp.basename(path)):
                    os.remove(path)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        bad = non_finite_entries(checkpoint.get('state_dict', {}))
        if bad:
            raise FloatingPointError(
                f'Refusing to save a checkpoint whose weights hold NaN/Inf ({len(bad)} entries, e.g. '
                f'{", ".join(bad[:3])}): training diverged. The last good checkpoint is kept '
                f'({self.last_ckpt or "none written yet"}). Lower the learning rate or clip gradients '
                f'(optim_wrapper.clip_grad=dict(max_norm=...)).')
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = message_hub_to_plain(checkpoint['message_hub'])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'message_hub' not in checkpoint:
            return
        checkpoint['message_hub'], omitted = message_hub_from_plain(checkpoint['message_hub'])
        if omitted and getattr(runner, 'resuming', False):
            runner.logger.warning(
                f'The checkpoint was written by MMEngine\'s own CheckpointHook: its log history ({", ".join(omitted)}) '
                f'is not loaded (it can only be read by unpickling code). Smoothed values in the log restart.')

    # Adapter of MMEngine's private API, checked against MMEngine 0.10.x (0.10.7): `CheckpointHook` writes every
    # checkpoint it keeps (periodic, last, and the re-save after a new best) through `_save_checkpoint_with_step`,
    # which deletes the outdated file *before* writing and writes in place. This override keeps its bookkeeping
    # (`keep_ckpt_ids`, `last_ckpt` in the message hub, `self.last_ckpt`) and reorders the file operations.
    # tests/test_engine/test_hooks/test_atomic_checkpoint_hook.py pins the behaviour.
    def _save_checkpoint_with_step(self, runner, step, meta):
        if not isinstance(self.file_backend, LocalBackend):  # remote storage: no rename; MMEngine's behaviour
            return super()._save_checkpoint_with_step(runner, step, meta)
        outdated = []
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                outdated.append(self.keep_ckpt_ids.popleft())
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids', list(self.keep_ckpt_ids))

        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        temporary = f'.{filename}{_TEMPORARY_SUFFIX}'
        runner.save_checkpoint(
            self.out_dir,
            temporary,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():  # only the main process writes (Runner.save_checkpoint is master_only)
            return
        publish_file(osp.join(self.out_dir, temporary), self.last_ckpt)
        write_text_atomically(osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        for old_step in outdated:
            path = self.file_backend.join_path(self.out_dir, self.filename_tmpl.format(old_step))
            if path != self.last_ckpt and osp.isfile(path):
                os.remove(path)

    # Adapter of MMEngine's private API, checked against MMEngine 0.10.x (0.10.7):
    # `CheckpointHook._save_best_checkpoint` keeps, per key indicator, the best score and the path of its checkpoint in
    # the message hub (`best_score[_KEY]`, `best_ckpt[_KEY]`) and in `best_ckpt_path` / `best_ckpt_path_dict`, names the
    # file `best_{indicator}_{filename_tmpl}` ('/' -> '_'), saves it without optimizer and schedulers, then re-saves
    # the last checkpoint so that it records the new best. This override keeps all of that and writes the file through a
    # temporary name, deleting the previous best only once the new one is in place.
    # tests/test_engine/test_hooks/test_atomic_checkpoint_hook.py pins the behaviour.
    def _save_best_checkpoint(self, runner, metrics) -> None:
        if not self.save_best or not isinstance(self.file_backend, LocalBackend):
            return super()._save_best_checkpoint(runner, metrics)
        step, unit = (runner.epoch, 'epoch') if self.by_epoch else (runner.iter, 'iter')
        meta = dict(epoch=runner.epoch, iter=runner.iter)
        if 'auto' in self.key_indicators:
            self._init_rule(self.rules, [list(metrics.keys())[0]])
        single = len(self.key_indicators) == 1
        updated = False
        for key_indicator, rule in zip(self.key_indicators, self.rules):
            score_key = 'best_score' if single else f'best_score_{key_indicator}'
            path_key = 'best_ckpt' if single else f'best_ckpt_{key_indicator}'
            score = metrics[key_indicator]
            best = runner.message_hub.get_info(score_key, self.init_value_map[rule])
            if score is None or not self.is_better_than[key_indicator](score, best):
                continue
            updated = True
            runner.message_hub.update_info(score_key, score)
            previous = self.best_ckpt_path if single else self.best_ckpt_path_dict[key_indicator]
            filename = f'best_{key_indicator}_{self.filename_tmpl.format(step)}'.replace('/', '_')
            path = self.file_backend.join_path(self.out_dir, filename)
            if single:
                self.best_ckpt_path = path
            else:
                self.best_ckpt_path_dict[key_indicator] = path
            runner.message_hub.update_info(path_key, path)
            temporary = f'.{filename}{_TEMPORARY_SUFFIX}'
            runner.save_checkpoint(
                self.out_dir,
                filename=temporary,
                file_client_args=self.file_client_args,
                save_optimizer=False,
                save_param_scheduler=False,
                meta=meta,
                by_epoch=False,
                backend_args=self.backend_args)
            if is_main_process():
                publish_file(osp.join(self.out_dir, temporary), path)
                if previous and previous != path and osp.isfile(previous):
                    os.remove(previous)
                    runner.logger.info(f'The previous best checkpoint {previous} is removed')
            runner.logger.info(f'The best checkpoint with {score:0.4f} {key_indicator} at {step} {unit} is saved to '
                               f'{filename}.')
        if updated and self.last_ckpt is not None:
            self._save_checkpoint_with_step(runner, step, meta)
