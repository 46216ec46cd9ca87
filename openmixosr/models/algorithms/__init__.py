from .asymmetric_distiller import AsymmetricDistiller, confusing_samples
from .automix import AutoMix
from .moco_amix import MoCoAMix, MoCoAMixCluster

__all__ = ['AsymmetricDistiller', 'AutoMix', 'MoCoAMix', 'MoCoAMixCluster', 'confusing_samples']
