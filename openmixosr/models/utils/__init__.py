from .mixing import MixedBatch, check_lam, mask_mix, mixed_soft_label, random_pairing, sample_lam
from .predictions import attach_predictions

__all__ = [
    'MixedBatch', 'attach_predictions', 'check_lam', 'mask_mix', 'mixed_soft_label', 'random_pairing', 'sample_lam'
]
