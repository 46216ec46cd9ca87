"""mmpretrain's data preprocessor, made safe for test sets that contain unknown samples."""
from typing import Optional

from mmpretrain.models import ClsDataPreprocessor

from openmixosr.registry import MODELS
from ..paired_mixers.base import batch_augments_refusal


@MODELS.register_module()
class OpenSetDataPreprocessor(ClsDataPreprocessor):
    """:class:`ClsDataPreprocessor` (normalisation, channel order, padding) that keeps labels as labels and mixes
    nothing.

    Unknown test samples carry ``gt_label = -1``, which has no one-hot vector: mmpretrain's preprocessor with
    ``to_onehot=True`` or batch augments turns every label into a one-hot score in every mode and fails on them. Here
    labels stay labels. Mixing is a model's paired mixer (``model.mixer``, e.g. ``OpenSetClassifier(mixer=...)``),
    which makes the soft labels of the mixed batch itself: ``batch_augments`` (a second way to mix) and
    ``to_onehot`` are refused with what to write instead.

    Args:
        num_classes (int, optional): The number of known classes (kept for reference: the configs read it).
        to_onehot (bool): Refused when True.
        batch_augments (dict, optional): Refused when given: use the model's ``mixer``.
        non_blocking (bool): Copy each batch to the GPU asynchronously (MMEngine's ``BaseDataPreprocessor`` option,
            which mmpretrain's ``ClsDataPreprocessor`` does not pass on); pays with ``pin_memory=True`` in the
            dataloader. No effect on the CPU. Defaults to False.
        **kwargs: The other arguments of :class:`ClsDataPreprocessor` (``mean``, ``std``, ``to_rgb``, ...).
    """

    def __init__(self, num_classes: Optional[int] = None, to_onehot: bool = False,
                 batch_augments: Optional[dict] = None, non_blocking: bool = False, **kwargs):
        if batch_augments:
            augments = batch_augments.get('augments', batch_augments) if isinstance(batch_augments, dict) \
                else batch_augments
            raise ValueError(batch_augments_refusal(augments, 'OpenSetDataPreprocessor: batch_augments'))
        if to_onehot:
            raise ValueError('OpenSetDataPreprocessor keeps labels as labels (to_onehot=True would fail on the '
                             'unknown test samples, label -1): a model that trains on soft labels makes them from '
                             'its mixer (OpenSetClassifier(mixer=...)). Drop to_onehot.')
        super().__init__(num_classes=num_classes, to_onehot=False, batch_augments=None, **kwargs)
        # MMEngine's BaseDataPreprocessor keeps its `non_blocking` argument here and passes it to every `.to(device)`
        # of `cast_data`; ClsDataPreprocessor calls its constructor without it. Checked against MMEngine 0.10.7
        # (tests/test_models/test_data_preprocessors fails if a version stores it otherwise).
        self._non_blocking = non_blocking
