"""ODIN: temperature scaling and input perturbation; needs the network in the loop (one forward + backward + forward
per batch), so it is opt-in and not a :class:`OpenSetScore` of stored features."""
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F


def odin_perturb(forward_fn: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor,
                 temperature: float = 1000.0, epsilon: float = 0.0014) -> torch.Tensor:
    """The perturbed inputs ``x - epsilon * sign(-grad_x log S_yhat(x; T))`` (Liang et al. 2018, Eq. 2).

    ``S_yhat(x; T)`` is the temperature-scaled softmax probability of the predicted class; the step lowers the
    cross-entropy of the prediction, i.e. raises that probability. The perturbation is in the units of
    ``forward_fn``'s input: the paper's epsilon is in [0, 1] pixel units, so for normalised inputs divide epsilon
    by the normalisation's std (per channel) to reproduce it.

    Args:
        forward_fn (Callable[[Tensor], Tensor]): inputs -> logits [N, C]; the network in eval mode.
        inputs (Tensor): A batch [N, ...]; not modified.
        temperature (float): T. Defaults to 1000, the paper's value.
        epsilon (float): Step size. Defaults to 0.0014, the paper's value for DenseNet on CIFAR-10.

    Returns:
        Tensor: The perturbed batch (detached).
    """
    with torch.enable_grad():
        perturbed = inputs.detach().clone().requires_grad_(True)
        logits = forward_fn(perturbed) / temperature
        loss = F.cross_entropy(logits, logits.argmax(dim=1), reduction='sum')
        gradient, = torch.autograd.grad(loss, perturbed)
    return (inputs.detach() - epsilon * gradient.sign()).detach()


def odin_scores(forward_fn: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor,
                temperature: float = 1000.0, epsilon: float = 0.0014) -> np.ndarray:
    """ODIN score: the largest temperature-scaled softmax probability of the perturbed input.

    Liang, Li & Srikant, "Enhancing The Reliability of Out-of-distribution Image Detection in Neural Networks",
    ICLR 2018: temperature scaling (Eq. 1), input pre-processing (Eq. 2, :func:`odin_perturb`), score
    ``max_c S_c(x~; T)``. Costs one forward and one backward pass to the input plus a second forward per batch.

    Args:
        forward_fn (Callable[[Tensor], Tensor]): inputs -> logits [N, C]; the network in eval mode.
        inputs (Tensor): A batch [N, ...].
        temperature (float): T. Defaults to 1000, the paper's value.
        epsilon (float): Step size in the units of ``forward_fn``'s input (see :func:`odin_perturb`). Defaults to
            0.0014.

    Returns:
        np.ndarray: [N] float64, higher = more known.
    """
    if temperature <= 0 or epsilon < 0:
        raise ValueError(f'need temperature > 0 and epsilon >= 0, got {temperature}, {epsilon}')
    perturbed = odin_perturb(forward_fn, inputs, temperature, epsilon)
    with torch.no_grad():
        logits = forward_fn(perturbed).double() / temperature
    if not torch.isfinite(logits).all():
        raise ValueError('ODIN: the network returned NaN/inf logits.')
    return torch.softmax(logits, dim=1).max(dim=1).values.cpu().numpy()
