"""Run a network only up to one of its submodules."""
import torch
from torch import nn


class _ReachedLayer(Exception):
    """Carries the output of the layer where :func:`forward_until` stops."""

    def __init__(self, output):
        super().__init__()
        self.output = output


def named_submodule(network: nn.Module, layer: str) -> nn.Module:
    """``network``'s submodule ``layer`` (dotted name), or a ValueError that lists the network's children."""
    try:
        return network.get_submodule(layer)
    except AttributeError as error:
        names = [name for name, _ in network.named_children()]
        raise ValueError(f'{type(network).__name__} has no submodule {layer!r}; its children are {names}.') from error


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
    module = named_submodule(network, layer)

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


def forward_capturing(network: nn.Module, inputs: torch.Tensor, layer: str):
    """Run ``network`` on ``inputs`` and also return the output of its submodule ``layer`` (one forward pass).

    The distiller takes a learned mixer's features from the teacher's stage ``l`` on the clean batch; when the same
    step also needs the teacher's full output on that batch, one pass gives both.

    Args:
        network (nn.Module): E.g. an mmpretrain backbone.
        inputs (Tensor): Its input batch.
        layer (str): Dotted name of the submodule, as in ``network.named_modules()``.

    Returns:
        tuple: ``(network(inputs), output of layer)``.
    """
    module = named_submodule(network, layer)
    captured = []
    handle = module.register_forward_hook(lambda _module, _inputs, output: captured.append(output))
    try:
        output = network(inputs)
    finally:
        handle.remove()
    if len(captured) != 1:
        raise RuntimeError(f'{type(network).__name__}.forward called {layer!r} {len(captured)} times, expected once.')
    return output, captured[0]
