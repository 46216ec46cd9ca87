from .batch_mixers import PairedCutMix, PairedMixUp
from .mixing import (MixedBatch, cutmix, cutmix_box, cutmix_box_size, mask_mix, mixed_soft_label, mixup,
                     random_pairing, sample_lam)
from .predictions import attach_predictions

__all__ = [
    'MixedBatch', 'PairedCutMix', 'PairedMixUp', 'attach_predictions', 'cutmix', 'cutmix_box', 'cutmix_box_size',
    'mask_mix', 'mixed_soft_label', 'mixup', 'random_pairing', 'sample_lam'
]
