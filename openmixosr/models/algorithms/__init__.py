from .asymmetric_distiller import AsymmetricDistiller, confusing_samples
from .automix import AutoMix
from .moco_amix import MoCoAMix, MoCoAMixCluster
from .momentum_mix import MomentumMixMixin

__all__ = ['AsymmetricDistiller', 'AutoMix', 'MoCoAMix', 'MoCoAMixCluster', 'MomentumMixMixin', 'confusing_samples']
