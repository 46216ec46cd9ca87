"""mmpretrain's data preprocessor, made safe for test sets that contain unknown samples."""
from typing import Optional

from mmpretrain.models import ClsDataPreprocessor
from mmpretrain.models.utils import RandomBatchAugment
from mmpretrain.structures import DataSample, label_to_onehot

from openmixosr.registry import MODELS


@MODELS.register_module()
class OpenSetDataPreprocessor(ClsDataPreprocessor):
    """:class:`ClsDataPreprocessor` that turns labels into one-hot scores in training steps only.

    With batch augmentations (CutMix, MixUp) mmpretrain turns every label into a one-hot score in every mode, also at
    test time, where unknown samples carry ``gt_label = -1`` and have no one-hot vector. Evaluation needs no scores,
    so this preprocessor builds mmpretrain's with ``to_onehot=False`` and no batch augmentations, keeps the
    augmentations itself (``batch_augments``, which mmpretrain applies in training steps) and, in training steps,
    gives each sample its one-hot ``gt_score`` before mmpretrain's ``forward``, which then uses the scores as given.
    Normalisation and batch augmentations are mmpretrain's.

    Args:
        num_classes (int, optional): Length of the one-hot scores. Defaults to the samples' ``num_classes``.
        to_onehot (bool): Give training samples one-hot scores even without batch augmentations. Defaults to False.
        batch_augments (dict, optional): mmpretrain's ``RandomBatchAugment`` arguments (``augments``, ``probs``);
            training samples then get one-hot scores. Defaults to None.
        non_blocking (bool): Copy each batch to the GPU asynchronously (MMEngine's ``BaseDataPreprocessor`` option,
            which mmpretrain's ``ClsDataPreprocessor`` does not pass on); pays with ``pin_memory=True`` in the
            dataloader. No effect on the CPU. Defaults to False.
        **kwargs: The other arguments of :class:`ClsDataPreprocessor` (``mean``, ``std``, ``to_rgb``, ...).
    """

    def __init__(self, num_classes: Optional[int] = None, to_onehot: bool = False,
                 batch_augments: Optional[dict] = None, non_blocking: bool = False, **kwargs):
        super().__init__(num_classes=num_classes, to_onehot=False, batch_augments=None, **kwargs)
        # MMEngine's BaseDataPreprocessor keeps its `non_blocking` argument here and passes it to every `.to(device)`
        # of `cast_data`; ClsDataPreprocessor calls its constructor without it. Checked against MMEngine 0.10.7
        # (tests/test_models/test_data_preprocessors fails if a version stores it otherwise).
        self._non_blocking = non_blocking
        self.batch_augments = RandomBatchAugment(**batch_augments) if batch_augments else None
        self.scores_in_training = to_onehot or self.batch_augments is not None

    def forward(self, data: dict, training: bool = False) -> dict:
        if training and self.scores_in_training:
            self._add_onehot_scores(data.get('data_samples'))
        return super().forward(data, training)

    def _add_onehot_scores(self, data_samples) -> None:
        """Give every labelled sample without ``gt_score`` the one-hot score of its ``gt_label``."""
        if not data_samples or not isinstance(data_samples[0], DataSample):
            return
        for sample in data_samples:
            if 'gt_label' not in sample or 'gt_score' in sample:
                continue
            num_classes = self.num_classes or sample.get('num_classes')
            if num_classes is None:
                raise ValueError('OpenSetDataPreprocessor needs num_classes (in the data preprocessor or the '
                                 'samples) to turn training labels into one-hot scores for batch augmentations.')
            sample.set_gt_score(label_to_onehot(sample.gt_label, num_classes))
