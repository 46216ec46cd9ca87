"""The contract of a paired mixer: images in, the mixed batch with its bookkeeping out.

A paired mixer mixes every sample ``x_i`` of a batch with a partner ``x_j(i)`` drawn by a permutation and returns,
besides the mixed images, what a loss on them needs: the pairing ``j`` (to reach ``y_j`` and ``T(x_j) = T(x)[j]``)
and ``lam``, the share of ``x_i`` (for mixed labels and lam-weighted terms). It is the one way OpenMixOSR mixes a
batch: the classifier baselines (``OpenSetClassifier(mixer=...)``), the asymmetric distiller and AutoMix / AMix /
MoCo v2 AMix all take ``mixer=dict(type=...)`` from the registry :data:`~openmixosr.registry.MIXERS`, so a new
mixup method is one registered subclass (docs/get_started.md, "A new mixup method"). mmpretrain's batch augments
(``CutMix``, ``Mixup`` in a data preprocessor's ``batch_augments``) return only mixed images and mixed scores and are
refused: :class:`PairedCutMix` and :class:`PairedMixUp` draw exactly as they do.
"""
from abc import ABCMeta, abstractmethod
from typing import Dict, Tuple

import torch
from mmpretrain.registry import BATCH_AUGMENTS
from torch import nn

from openmixosr.registry import MIXERS
from ..utils.mixing import MixedBatch
from ..utils.step_passes import NetworkPasses


class PairedMixer(nn.Module, metaclass=ABCMeta):
    """Base class of the paired mixers: ``mixer(inputs) -> MixedBatch(inputs=x_m, index=j, lam, mask)``.

    What every subclass guarantees:

    - ``inputs`` [N, C, H, W] is left unchanged; ``x_m`` is a new tensor;
    - ``index`` [N] is a permutation of ``0..N-1``: sample ``i`` is mixed with sample ``index[i]``;
    - ``lam`` is the share of ``x_i`` in ``x_m``: a float for the whole batch (CutMix, MixUp) or a tensor [N]
      (a learned mask, whose mean differs per sample); ``mixed_soft_label``, the mixup losses and the relabel target
      and the cross mutual information loss take both;
    - ``mask`` is the mask pair [N, 2, H, W] when the mixer draws one (``x_m = mask_mix(x, mask, index)``), else None;
    - random draws come from numpy's and torch's global generators, which
      :class:`~openmixosr.engine.hooks.RandomStateHook` stores in the checkpoints (a resumed run draws the same mixes).

    A mixer is an ``nn.Module`` so that one with parameters (a learned mask generator owning a Mix Block) becomes a
    submodule of the algorithm that holds it: its optimizer, checkpoints and DDP wrapper see the parameters, and the
    mixer also works on its own in a plain training loop. Hand-made mixers have no parameters and add nothing to a
    state dict. Register a subclass with ``@MIXERS.register_module()``.

    A mixer whose parameters its owner trains (:attr:`trainable`, e.g. a ``LearnedMaskMixer`` without checkpoint)
    returns a :class:`MixedBatch` with ``generation`` set, and its owner adds :meth:`generation_losses` on a frozen
    network's logits of the mix to its objective (the distiller: the teacher; AutoMix: the momentum encoder).
    """

    #: What the mixer needs besides the images, by name (its ``forward`` keyword arguments): ``('features',)`` for a
    #: learned mixer fed by its owner's frozen network at the mixer's stage ``mix_layer`` (the distiller offers its
    #: teacher's features, AutoMix its momentum encoder's); none for CutMix.
    mixer_inputs: Tuple[str, ...] = ()
    #: Whether the owner trains the mixer's parameters through :meth:`generation_losses` (False: nothing to train).
    trainable: bool = False

    @abstractmethod
    def forward(self, inputs: torch.Tensor, **mixer_inputs) -> MixedBatch:
        """Mix ``inputs`` [N, C, H, W] with a drawn pairing; see the class docstring for what is returned."""

    def draw_twice(self, inputs: torch.Tensor, **mixer_inputs) -> Tuple[MixedBatch, MixedBatch]:
        """Two independent mixes for an owner that trains the mixer on the first (through a frozen network) and its
        own network on the second (AutoMix's Momentum Pipeline): the first with the mixer's graph, the second
        without. Two calls of :meth:`forward` here; a mixer may draw both pairings before it mixes
        (``LearnedMaskMixer`` does, in AutoMix's order)."""
        first = self(inputs, **mixer_inputs)
        with torch.no_grad():
            second = self(inputs, **mixer_inputs)
        return first, second

    def step_passes(self, draws_with_graph: int, draws_without_graph: int) -> Dict[str, NetworkPasses]:
        """The passes of the mixer's own networks in a training step that draws ``draws_with_graph`` mixes with a
        graph (a trained mixer's, back-propagated once each) and ``draws_without_graph`` without; read by the owner's
        ``step_passes`` (:mod:`~openmixosr.models.utils.step_passes`). None for a mixer that only copies pixels."""
        return {}

    def generation_losses(self, logits: torch.Tensor, labels: torch.Tensor,
                          mixed: MixedBatch) -> Dict[str, torch.Tensor]:
        """The objective of a :attr:`trainable` mixer on a frozen network's logits of ``mixed.inputs``.

        Raises:
            NotImplementedError: The mixer trains nothing.
        """
        raise NotImplementedError(f'{type(self).__name__} has nothing to train (trainable=False).')


def check_alpha(alpha: float) -> float:
    """``alpha`` of ``Beta(alpha, alpha)`` as a float, or a ValueError unless it is > 0."""
    if not alpha > 0:
        raise ValueError(f'alpha must be > 0, got {alpha}')
    return float(alpha)


def check_images(inputs: torch.Tensor) -> None:
    """Raise a ValueError unless ``inputs`` is a batch of images [N, C, H, W]."""
    if inputs.dim() != 4:
        raise ValueError(f'expected images [N, C, H, W], got {tuple(inputs.shape)}')


#: The paired mixer that draws exactly as each of mmpretrain's batch augments (same random calls in the same order).
PAIRED_COUNTERPARTS = dict(CutMix='PairedCutMix', Mixup='PairedMixUp')


def batch_augments_refusal(augments, where: str) -> str:
    """The error message for mmpretrain batch augments given to ``where``: which mixer config to write instead.

    Args:
        augments (dict | list[dict]): The batch augment config(s), e.g. ``dict(type='CutMix', alpha=1.0)``.
        where (str): Where they were given, e.g. ``'OpenSetClassifier: train_cfg.augments'``.

    Returns:
        str: The message.
    """
    configs = augments if isinstance(augments, (list, tuple)) else [augments]
    suggestions = []
    for cfg in configs:
        cfg = dict(cfg) if isinstance(cfg, dict) else dict(type=type(cfg).__name__)
        counterpart = PAIRED_COUNTERPARTS.get(cfg.pop('type', None), 'YourPairedMixer')
        arguments = ''.join(f', {key}={value!r}' for key, value in cfg.items())
        suggestions.append(f"model.mixer=dict(type='{counterpart}'{arguments})")
    return (f'{where}: mmpretrain batch augments are a second way to mix a batch, which OpenMixOSR does not take. '
            f'Give the model a paired mixer instead ({" or ".join(suggestions)}; PairedCutMix and PairedMixUp draw '
            f'exactly as mmpretrain\'s CutMix and Mixup) and drop train_cfg.augments / '
            f'data_preprocessor.batch_augments. A random choice between several mixers is one PairedMixer of your '
            f'own (docs/get_started.md, "A new mixup method").')


def build_paired_mixer(cfg: dict) -> PairedMixer:
    """Build a :class:`PairedMixer` from :data:`~openmixosr.registry.MIXERS`, saying what is wrong otherwise.

    Args:
        cfg (dict): Mixer config, e.g. ``dict(type='PairedCutMix', alpha=1.0)``.

    Returns:
        PairedMixer: The mixer.

    Raises:
        KeyError: If ``cfg['type']`` is not a registered mixer; the message lists the registered ones and, for a
            batch augment such as mmpretrain's ``CutMix``, names its paired counterpart's registry.
        TypeError: If the registered class is not a :class:`PairedMixer`.
    """
    mixer_type = cfg.get('type')
    if isinstance(mixer_type, str) and MIXERS.get(mixer_type) is None:
        registered = sorted(MIXERS.module_dict)
        hint = ''
        if BATCH_AUGMENTS.get(mixer_type) is not None:
            counterpart = PAIRED_COUNTERPARTS.get(mixer_type)
            hint = (f' {mixer_type!r} is an mmpretrain batch augment ((inputs, scores) -> (inputs, scores)), which '
                    f'drops the pairing and lam that a model needs' +
                    (f'; {counterpart!r} draws exactly as it does.' if counterpart else '.'))
        raise KeyError(f'{mixer_type!r} is not a paired mixer (registry MIXERS).{hint} Registered mixers: '
                       f'{registered}, e.g. mixer=dict(type=\'PairedCutMix\', alpha=1.0).')
    mixer = MIXERS.build(cfg)
    if not isinstance(mixer, PairedMixer):
        raise TypeError(f'{type(mixer).__name__} is registered in MIXERS but is not a PairedMixer.')
    return mixer
