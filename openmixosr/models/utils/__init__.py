from .mixing import mask_mix, random_pairing, sample_lam
from .predictions import attach_predictions

__all__ = ['attach_predictions', 'mask_mix', 'random_pairing', 'sample_lam']
