"""Image classifier whose predictions carry the raw logits needed by open-set scores."""
from typing import Dict, List, Optional

import torch
from mmpretrain.models import ImageClassifier
from mmpretrain.structures import DataSample

from openmixosr.registry import MODELS
from ..contracts import OWN_WEIGHTS
from ..utils.predictions import attach_predictions, final_linear_of, head_features_and_logits
from ..utils.step_passes import SINGLE_STEP, NetworkPasses, StepPasses


@MODELS.register_module()
class OpenSetClassifier(ImageClassifier):
    """mmpretrain's :class:`ImageClassifier` (backbone, neck, head, batch augmentations), predicting logits too.

    Training is unchanged: plain cross-entropy, or CutMix / MixUp through the data preprocessor's ``batch_augments``.
    At test time each sample gets ``pred_logits`` and ``pred_features`` (the head's input, pooled) besides
    ``pred_score`` and ``pred_label``, from one forward pass, so that the open-set evaluator can use any score of
    ``openmixosr.evaluation.scores``. The head must return logits from ``forward`` and have ``pre_logits`` (all of
    mmpretrain's linear heads do); :meth:`final_linear` needs a ``LinearClsHead``-like ``fc``.
    """

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
        """One forward and one backward of the classifier and one optimizer step per training step (CutMix / MixUp
        in ``batch_augments`` only copy pixels); read by ``tools/benchmark``."""
        return {SINGLE_STEP: StepPasses(networks=dict(online=NetworkPasses(forwards=1, backwards=1)))}
