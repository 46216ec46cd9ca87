"""Several backward passes in one training step, counted by MMEngine's ``OptimWrapper`` as one iteration."""
import torch
from mmengine.optim import OptimWrapper


def backward_without_update(optim_wrapper: OptimWrapper, loss: torch.Tensor) -> None:
    """Back-propagate one part of a step's loss exactly as ``optim_wrapper.update_params`` would, without an update.

    The loss is scaled for gradient accumulation (``scale_loss``) and, for AMP wrappers, by the loss scaler
    (``backward``); the gradients accumulate in ``.grad``. ``OptimWrapper.backward`` also counts the call as one
    iteration of gradient accumulation; a step made of several backward passes is still one iteration, so the count
    is taken back (:func:`uncount_backward`). The step ends with ``update_params`` on its last part.

    Args:
        optim_wrapper (OptimWrapper): The wrapper that will update the parameters at the end of the step.
        loss (Tensor): A scalar part of the step's loss.
    """
    optim_wrapper.backward(optim_wrapper.scale_loss(loss))
    uncount_backward(optim_wrapper)


def uncount_backward(optim_wrapper: OptimWrapper) -> None:
    """Take back the one count that ``optim_wrapper.backward`` added to its gradient-accumulation counter.

    MMEngine has no public way to do this: the counter is the private ``_inner_count`` (read-only as
    ``inner_count``), which ``OptimWrapper.backward`` raises by one per call and ``update_params`` compares with
    ``accumulative_counts``. Checked against MMEngine 0.10.7 (tests/test_models/test_utils/test_multi_backward.py fails
    if a version counts otherwise).

    Args:
        optim_wrapper (OptimWrapper): The wrapper whose last ``backward`` should not count.
    """
    optim_wrapper._inner_count -= 1
