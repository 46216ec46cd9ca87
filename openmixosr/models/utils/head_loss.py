"""The one head ``loss`` an algorithm that computes its own cross-entropy accepts: plain CE, or none.

The asymmetric distiller (``CE(S(x), y)`` of its raw step) and AutoMix (``CE(q(x), y)`` and the mixup CE) compute
their cross-entropies themselves with ``F.cross_entropy`` and soft-target CE, and never call the head's ``loss``. A
head configured with another loss (label smoothing, class weights, a sigmoid, another weight) would be ignored, so it
is refused when the model is built instead.
"""
from typing import Optional

from mmpretrain.models.losses import CrossEntropyLoss
from torch import nn

#: The settings under which mmpretrain's ``CrossEntropyLoss`` is the plain, unweighted cross-entropy (its defaults).
PLAIN_CROSS_ENTROPY = dict(use_sigmoid=False, use_soft=False, reduction='mean', loss_weight=1.0, class_weight=None,
                           pos_weight=None)


def _describe(loss: nn.Module) -> str:
    if type(loss) is not CrossEntropyLoss:
        return type(loss).__name__
    changed = {key: getattr(loss, key) for key, plain in PLAIN_CROSS_ENTROPY.items() if getattr(loss, key) != plain}
    return f"CrossEntropyLoss with {', '.join(f'{key}={value!r}' for key, value in changed.items())}"


def unused_head_loss(head: nn.Module) -> Optional[str]:
    """What the head's ``loss`` is when it is not plain cross-entropy (a description), else None.

    Args:
        head (nn.Module): A classification head; one without a ``loss_module`` (mmpretrain's ``ClsHead`` attribute)
            has no loss to ignore.
    """
    loss = getattr(head, 'loss_module', None)
    if loss is None:
        return None
    plain = type(loss) is CrossEntropyLoss and all(getattr(loss, key) == value
                                                    for key, value in PLAIN_CROSS_ENTROPY.items())
    return None if plain else _describe(loss)


def refuse_unused_head_loss(head: nn.Module, owner: str, path: str, computed: str) -> None:
    """Raise when ``head``'s ``loss`` is not plain cross-entropy: ``owner`` computes ``computed`` itself.

    Args:
        head (nn.Module): The built head.
        owner (str): The algorithm, for the message.
        path (str): Where the head sits in the config, e.g. ``'model.student.head'``.
        computed (str): The cross-entropy the algorithm computes instead, for the message.

    Raises:
        ValueError: Naming the loss and what to do.
    """
    unused = unused_head_loss(head)
    if unused is not None:
        raise ValueError(
            f"{owner}: {path}.loss is {unused}, but {owner} never calls the head's loss: it computes {computed} "
            f"itself, a plain cross-entropy of weight 1. Drop `loss` from {path} (or set it to "
            f"dict(type='CrossEntropyLoss', loss_weight=1.0)); a loss of another kind needs an algorithm that "
            f"calls it.")
