"""The precision losses compute in: at least float32, also under float16 / bfloat16 autocast (``--amp``)."""
import torch

HALF_DTYPES = (torch.float16, torch.bfloat16)


def at_least_float32(tensor: torch.Tensor) -> torch.Tensor:
    """``tensor`` in float32 when it is float16 / bfloat16, else unchanged (float32 and float64 stay as they are).

    Under autocast the logits arrive in half precision; softmax, Pearson correlations and log-sum-exps of half values
    lose the precision a loss needs (DIST's float16 Pearson terms are NaN where a row is uniform: the cosine's eps
    underflows; in bfloat16 they are 15% off), and CPU autocast, unlike CUDA's, keeps softmax in the input dtype.
    Ops that autocast lowers (matrix products) still run in half precision.
    """
    return tensor.float() if tensor.dtype in HALF_DTYPES else tensor
