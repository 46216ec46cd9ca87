"""Run a network only up to one of its submodules."""
import torch
from torch import nn


class _ReachedLayer(Exception):
    """Carries the output of the layer where :func:`forward_until` stops."""

    def __init__(self, output):
        super().__init__()
        self.output = output


def forward_until(network: nn.Module, inputs: torch.Tensor, layer: str):
    """Return the output of submodule ``layer`` of ``network`` on ``inputs`` without running what comes after it.

    AutoMix takes the Mix Block's features from stage ``l`` of the momentum encoder; running the later stages would
    waste a quarter or more of that forward pass. This works for any backbone whose forward calls the named submodule
    once (mmpretrain's ResNets: ``'layer3'`` is stage 3): a forward hook on the submodule stops the forward pass as soon
    as the output exists.

    Args:
        network (nn.Module): E.g. an mmpretrain backbone.
        inputs (Tensor): Its input batch.
        layer (str): Dotted name of the submodule, as in ``network.named_modules()``.

    Returns:
        The submodule's output.
    """
    try:
        module = network.get_submodule(layer)
    except AttributeError as error:
        names = [name for name, _ in network.named_children()]
        raise ValueError(f'{type(network).__name__} has no submodule {layer!r}; its children are {names}.') from error

    def stop(_module, _inputs, output):
        raise _ReachedLayer(output)

    handle = module.register_forward_hook(stop)
    try:
        network(inputs)
    except _ReachedLayer as reached:
        return reached.output
    finally:
        handle.remove()
    raise RuntimeError(f'{type(network).__name__}.forward never called {layer!r}.')
