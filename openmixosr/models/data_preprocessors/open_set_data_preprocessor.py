"""mmpretrain's data preprocessor, made safe for test sets that contain unknown samples."""
from mmpretrain.models import ClsDataPreprocessor

from openmixosr.registry import MODELS


@MODELS.register_module()
class OpenSetDataPreprocessor(ClsDataPreprocessor):
    """:class:`ClsDataPreprocessor` that leaves labels as they are outside training.

    With batch augmentations (CutMix, MixUp) mmpretrain turns every label into a one-hot score, also at test time,
    where unknown samples carry ``gt_label = -1`` and have no one-hot vector. Evaluation needs no scores, so this
    preprocessor converts labels only in training steps. Normalisation and batch augmentations are mmpretrain's.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        if training or not self.to_onehot:
            return super().forward(data, training)
        self.to_onehot = False
        try:
            return super().forward(data, training)
        finally:
            self.to_onehot = True
