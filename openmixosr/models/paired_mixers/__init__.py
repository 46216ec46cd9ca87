"""Paired mixers: mix a batch with a drawn pairing and return the bookkeeping (:class:`PairedMixer`, registry
``MIXERS``)."""
from .base import PairedMixer, build_paired_mixer
from .learned_mask_mixer import LearnedMaskMixer
from .paired_cutmix import PairedCutMix
from .paired_mixup import PairedMixUp

__all__ = ['LearnedMaskMixer', 'PairedCutMix', 'PairedMixUp', 'PairedMixer', 'build_paired_mixer']
