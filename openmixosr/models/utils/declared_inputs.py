"""Losses that declare their inputs: an algorithm offers what it has by name, each loss takes what it declares."""
from typing import Mapping

import torch
from torch import nn


def call_with_declared_inputs(loss: nn.Module, available: Mapping[str, object]) -> torch.Tensor:
    """Call ``loss`` with the inputs it declares in ``loss.mixup_inputs``, taken by name from ``available``.

    Args:
        loss (nn.Module): A loss with a ``mixup_inputs`` tuple of argument names of its ``forward``.
        available (Mapping[str, object]): Everything the calling algorithm can give, by name.

    Returns:
        Tensor: The loss.

    Raises:
        TypeError: If the loss declares no inputs.
        KeyError: If it declares an input that ``available`` does not hold (the message lists what it holds).
    """
    needs = getattr(loss, 'mixup_inputs', None)
    if needs is None:
        raise TypeError(f'{type(loss).__name__} does not declare its inputs (a `mixup_inputs` tuple of argument '
                        f'names of its forward).')
    missing = [name for name in needs if name not in available]
    if missing:
        raise KeyError(f'{type(loss).__name__} needs {missing}, which the algorithm does not provide; it provides '
                       f'{sorted(available)}.')
    return loss(**{name: available[name] for name in needs})
