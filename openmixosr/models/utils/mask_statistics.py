"""Statistics that say whether a learned mask mixes *where* (content-aware) or only *how much* (a flat blend)."""
from typing import Dict, Union

import torch


def mask_statistics(mask: torch.Tensor, lam: Union[float, torch.Tensor], low: float = 0.1,
                    high: float = 0.9) -> Dict[str, torch.Tensor]:
    """Three numbers per batch of masks ``s = mask[:, 0]`` (detached; logged by the models, not losses).

    - ``mask_std``: the spatial standard deviation of ``s`` per sample, averaged over the batch. About 0 for a
      uniform blend (MixUp), 0.5 for a binary half-and-half mask (CutMix at lam = 0.5).
    - ``mask_lam_gap``: ``mean_i |mean(s_i) - lam_i|``: how far the share of ``x_i`` is from the lam of the label.
    - ``mask_mixed_fraction``: the fraction of pixels with ``low <= s <= high``: 1 for a blend, 0 for a cut mask.

    Args:
        mask (Tensor): Mask pair [N, 2, H, W]; only ``s = mask[:, 0]`` is read.
        lam (float | Tensor): The batch's lam, or a tensor [N].
        low (float): Lower end of the mixed band. Defaults to 0.1.
        high (float): Upper end of the mixed band. Defaults to 0.9.

    Returns:
        dict[str, Tensor]: Scalars ``mask_std``, ``mask_lam_gap``, ``mask_mixed_fraction`` (no graph).
    """
    s = mask[:, 0].detach().flatten(1).float()
    lam = torch.as_tensor(lam, dtype=s.dtype, device=s.device)
    return dict(mask_std=s.std(dim=1, unbiased=False).mean(),
                mask_lam_gap=(s.mean(dim=1) - lam).abs().mean(),
                mask_mixed_fraction=((s >= low) & (s <= high)).float().mean())
