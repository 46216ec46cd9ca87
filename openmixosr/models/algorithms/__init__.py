from .asymmetric_distiller import AsymmetricDistiller, confusing_samples
from .automix import AutoMix

__all__ = ['AsymmetricDistiller', 'AutoMix', 'confusing_samples']
