"""Cross-entropy against a soft target distribution, the one form shared by the mixup CE, the relabel loss and the
distiller's optional mixup CE."""
import torch
import torch.nn.functional as F

from .precision import at_least_float32


def soft_target_cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``CE(z, q) = -sum_c q_c * log softmax(z)_c``, averaged over the rows.

    Computed in at least float32 (:func:`~openmixosr.models.losses.precision.at_least_float32`).

    Args:
        logits (Tensor): Logits, [N, K] with N >= 1.
        target (Tensor): Target distributions, [N, K] (rows normally sum to 1), cast to the logits' dtype.

    Returns:
        Tensor: The mean over the N rows (a scalar).
    """
    if logits.dim() != 2 or target.shape != logits.shape or logits.size(0) == 0:
        raise ValueError(f'expected logits and target of the same shape [N >= 1, K], got {tuple(logits.shape)} and '
                         f'{tuple(target.shape)}')
    logits = at_least_float32(logits)
    return -(target.to(logits.dtype) * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
