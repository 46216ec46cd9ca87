"""Paired mixers: mix a batch with a drawn pairing and return the bookkeeping (:class:`PairedMixer`, registry
``MIXERS``)."""
from .base import PairedMixer, build_paired_mixer
from .paired_cutmix import PairedCutMix
from .paired_mixup import PairedMixUp

__all__ = ['PairedCutMix', 'PairedMixUp', 'PairedMixer', 'build_paired_mixer']
