"""Losses that declare their inputs: an algorithm offers what it has by name, each loss takes what it declares."""
from typing import Collection, List, Mapping, Optional

import torch
from torch import nn


def missing_inputs(loss: nn.Module, available: Collection[str], subject: Optional[str] = None) -> List[str]:
    """The inputs that ``loss`` declares in ``loss.mixup_inputs`` and ``available`` does not name.

    Args:
        loss (nn.Module): A loss with a ``mixup_inputs`` tuple of argument names of its ``forward``.
        available (Collection[str]): The names of the inputs the calling algorithm can give.
        subject (str, optional): How the error message names the loss. Defaults to its class name.

    Returns:
        list[str]: The missing names, in the order the loss declares them (empty when it can be called).

    Raises:
        TypeError: If the loss declares no inputs.
    """
    needs = getattr(loss, 'mixup_inputs', None)
    if needs is None:
        raise TypeError(f'{subject or type(loss).__name__} does not declare its inputs (a `mixup_inputs` tuple of '
                        f'argument names of its forward).')
    return [name for name in needs if name not in available]


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
    missing = missing_inputs(loss, available)
    if missing:
        raise KeyError(f'{type(loss).__name__} needs {missing}, which the algorithm does not provide; it provides '
                       f'{sorted(available)}.')
    return loss(**{name: available[name] for name in loss.mixup_inputs})
