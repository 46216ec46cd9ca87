from .automix import AutoMix

__all__ = ['AutoMix']
