"""Image classifier whose predictions carry the raw logits needed by open-set scores, trained on a paired mixer's
mixes when it has one (the "+CutMix" / "+MixUp" / "+X" baselines)."""
from typing import Dict, List, Optional, Tuple

import torch
from mmpretrain.models import ImageClassifier
from mmpretrain.structures import DataSample

from openmixosr.registry import MODELS
from ..contracts import OWN_WEIGHTS
from ..paired_mixers import build_paired_mixer
from ..paired_mixers.base import batch_augments_refusal
from ..utils.mixing import mixed_soft_label
from ..utils.predictions import attach_predictions, final_linear_of, head_features_and_logits
from ..utils.step_passes import SINGLE_STEP, NetworkPasses, StepPasses


@MODELS.register_module()
class OpenSetClassifier(ImageClassifier):
    """mmpretrain's :class:`ImageClassifier` (backbone, neck, head), predicting logits too, with an optional mixer.

    Training: the head's own ``loss`` on the batch, or, with ``mixer`` (a paired mixer of the registry ``MIXERS``,
    e.g. ``mixer=dict(type='PairedCutMix', alpha=1.0)``), on the mixer's mix of the normalised batch ``x_m`` with the
    mixed soft label ``y_m = lam * onehot(y_i) + (1 - lam) * onehot(y_j)`` as each sample's ``gt_score``: exactly as
    mmpretrain's batch augments feed the head, so the head's ``loss`` config is honoured (e.g. mmpretrain's
    ``CrossEntropyLoss`` on soft targets, or its ``label_smooth_val``). ``PairedCutMix`` / ``PairedMixUp`` draw as
    mmpretrain's ``CutMix`` / ``Mixup`` do and the soft label is theirs to the bit (``lam`` in double precision,
    :func:`~openmixosr.models.utils.mixed_soft_label`), so these baselines repeat the rows once trained with
    mmpretrain's batch augments; the same mixer file serves the distiller and AutoMix. mmpretrain's batch augments
    (``train_cfg.augments``, ``data_preprocessor.batch_augments``) are refused, with the mixer to use instead.

    At test time each sample gets ``pred_logits`` and ``pred_features`` (the head's input, pooled) besides
    ``pred_score`` and ``pred_label``, from one forward pass, so that the open-set evaluator can use any score of
    ``openmixosr.evaluation.scores``. The head must return logits from ``forward`` and have ``pre_logits`` (all of
    mmpretrain's linear heads do); :meth:`final_linear` needs a ``LinearClsHead``-like ``fc``.

    Args:
        backbone (dict): Backbone config.
        neck (dict, optional): Neck config.
        head (dict, optional): Head config; with a mixer it must have ``num_classes`` (the soft labels' length).
        pretrained (str, optional): As in mmpretrain: a ``Pretrained`` init config.
        train_cfg (dict, optional): mmpretrain's batch augments: refused (use ``mixer``).
        data_preprocessor (dict, optional): Defaults to mmpretrain's ``ClsDataPreprocessor``; the configs use
            ``OpenSetDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
        mixer (dict, optional): A paired mixer whose mixes the head trains on. It must mix the images alone
            (``mixer_inputs`` empty) and train nothing: a learned mixer needs a frozen network's features and its
            objective (AutoMix, the distiller), or its own ``checkpoint`` and ``encoder``. Defaults to None (no
            mixing).
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 mixer: Optional[dict] = None):
        if train_cfg:
            raise ValueError(batch_augments_refusal(train_cfg.get('augments', train_cfg),
                                                    'OpenSetClassifier: train_cfg.augments'))
        super().__init__(backbone=backbone, neck=neck, head=head, pretrained=pretrained,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        augments = getattr(self.data_preprocessor, 'batch_augments', None)
        if augments is not None:
            raise ValueError(batch_augments_refusal(getattr(augments, 'augments', augments),
                                                    'OpenSetClassifier: data_preprocessor.batch_augments'))
        self.mixer = build_paired_mixer(mixer) if mixer is not None else None
        if self.mixer is not None:
            self._check_mixer()

    def _check_mixer(self) -> None:
        name = type(self.mixer).__name__
        if self.mixer.mixer_inputs or self.mixer.trainable:
            raise ValueError(f'OpenSetClassifier: the mixer {name} needs {list(self.mixer.mixer_inputs) or "training"}'
                             f', which a classifier does not give: a learned mixer trains through a frozen network '
                             f'(AutoMix, the asymmetric distiller), or draws frozen from a checkpoint with its own '
                             f'`encoder`.')
        if not isinstance(getattr(self.head, 'num_classes', None), int):
            raise ValueError(f'OpenSetClassifier: a mixer needs a head with `num_classes` (the length of the soft '
                             f'labels); {type(self.head).__name__} has none.')

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """The head's loss on the batch, or on the mixer's mix with the mixed soft labels."""
        if self.mixer is not None:
            inputs, data_samples = self.mix(inputs, data_samples)
        return super().loss(inputs, data_samples)

    def mix(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> Tuple[torch.Tensor, List[DataSample]]:
        """Mix a training batch: ``x_m`` and the samples, each with its mixed soft label ``y_m`` as ``gt_score``.

        ``lam`` goes to :func:`~openmixosr.models.utils.mixed_soft_label` as a float64 tensor, so ``1 - lam`` is
        computed in double precision as mmpretrain's batch augments compute it with their Python-float lam.
        """
        labels = torch.cat([sample.gt_label for sample in data_samples])
        mixed = self.mixer(inputs)
        lam = torch.as_tensor(mixed.lam, dtype=torch.float64)
        scores = mixed_soft_label(labels, mixed.index, lam, self.head.num_classes)
        for sample, score in zip(data_samples, scores):
            sample.set_gt_score(score)
        return mixed.inputs, data_samples

    def predict(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None) -> List[DataSample]:
        features, logits = head_features_and_logits(self.head, self.extract_feat(inputs))
        return attach_predictions(logits, data_samples, features=features)

    def final_linear(self):
        """The head's final linear layer (``FinalLinear``: weight [C, D], bias [C]) for the open-set scores."""
        return final_linear_of(self.head)

    def evaluated_weights(self) -> Dict[str, str]:
        """A test evaluates the classifier's own weights (:class:`~openmixosr.models.contracts.EvaluatedWeights`)."""
        return dict(OWN_WEIGHTS)

    def step_passes(self) -> Dict[str, StepPasses]:
        """One forward and one backward of the classifier and one optimizer step per training step, plus the
        mixer's own passes (none for CutMix / MixUp, which only copy pixels); read by ``tools/benchmark``."""
        networks = dict(online=NetworkPasses(forwards=1, backwards=1))
        if self.mixer is not None:
            networks.update(self.mixer.step_passes(draws_with_graph=0, draws_without_graph=1))
        return {SINGLE_STEP: StepPasses(networks=networks)}
