"""Stop training at the first non-finite loss, whatever the model."""
import math
from typing import Dict, Optional

import torch
from mmengine.hooks import Hook

from openmixosr.registry import HOOKS


def non_finite_losses(outputs: Optional[Dict]) -> Dict[str, float]:
    """The entries of a training step's log variables that are losses (MMEngine: the name contains ``loss``) and are
    NaN or Inf.

    Args:
        outputs (dict, optional): What ``model.train_step`` returned (MMEngine's parsed log variables).

    Returns:
        dict[str, float]: Name -> value of every non-finite loss; empty when all are finite (or there are none).
    """
    bad = {}
    for name, value in (outputs or {}).items():
        if 'loss' not in name:
            continue
        if isinstance(value, torch.Tensor):
            if value.numel() == 0 or bool(torch.isfinite(value.detach()).all()):
                continue
            bad[name] = float(value.detach().float().mean())  # NaN / Inf propagate through the mean
        elif isinstance(value, (int, float)) and not math.isfinite(value):
            bad[name] = float(value)
    return bad


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise ``FloatingPointError`` at the first training iteration whose loss is NaN or Inf.

    It reads the log variables every model returns from ``train_step`` (classifiers, CutMix / MixUp, the distiller,
    AutoMix / AMix, MoCo v2 / AMix-I / AMix-C), so it needs nothing from the model. It runs before the checkpoint
    hook, so a diverged run stops before it writes a checkpoint (iteration-based saving included); at epoch ends
    :class:`~openmixosr.engine.hooks.AtomicCheckpointHook` refuses non-finite weights as well. Without it a diverged
    run keeps training on NaN weights, saves NaN checkpoints that push the good ones out of the kept ones, and only
    fails at the next validation, or never with ``--no-validate``.

    Mixed precision (``--amp``, float16 with a loss scaler): a step whose scaled gradients overflow is skipped by the
    scaler, which halves its scale; that is normal (the first steps of an fp16 run often are) and its losses are
    finite, so the hook, which reads only the losses, lets training go on (tests/test_engine/test_amp.py).

    It is one of the default hooks (``default_hooks.loss_check``), so replacing ``custom_hooks`` does not drop it.
    """

    priority = 'VERY_HIGH'  # before the logger and the checkpoint hook

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        bad = non_finite_losses(outputs if isinstance(outputs, dict) else None)
        if not bad:
            return
        values = ', '.join(f'{name}={value}' for name, value in bad.items())
        last = runner.message_hub.get_info('last_ckpt')
        raise FloatingPointError(
            f'Training diverged: non-finite loss at iteration {runner.iter + 1} (epoch {runner.epoch + 1}, batch '
            f'{batch_idx + 1} of the epoch): {values}. Training stops here, before another checkpoint is written; '
            f'{"the last one is " + last if last else "no checkpoint was written yet"}. Lower the learning rate '
            f'(optim_wrapper.optimizer.lr), clip gradients (optim_wrapper.clip_grad=dict(max_norm=...)), warm up '
            f'longer, check the data for NaN/Inf, or train without --amp.')
