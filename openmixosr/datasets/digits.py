"""scikit-learn's embedded 8x8 digits as an image-classification dataset: real data with nothing to download."""

import numpy as np

from openmixosr.registry import DATASETS
from .partition import select_partition
from .source_dataset import SourceDataset
from .utils import DIGIT_CLASSES, array_data_list, gray_to_rgb


@DATASETS.register_module()
class Digits(SourceDataset):
    """The 1,797 real 8x8 handwritten digits that ship inside scikit-learn (``sklearn.datasets.load_digits``).

    It needs nothing but the install, which makes it the quick-start and the data of the fast end-to-end tests.
    Pixel values 0..16 are scaled to 0..255 uint8 and replicated to 3 channels (8x8x3). There is no official split, so
    ``split`` selects one part of the deterministic stratified 70 / 30 partition of
    :func:`openmixosr.datasets.partition.stratified_partition` (1,258 train and 539 test digits).

    Args:
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        **kwargs: ``pipeline``, ``test_mode``, ``indices`` and ``serialize_data``, as in :class:`SourceDataset`.
    """

    METAINFO = {'classes': DIGIT_CLASSES}

    def __init__(self, split: str = 'train', **kwargs):
        super().__init__(data_root='', split=split, **kwargs)

    def load_data_list(self):
        """Load the digits of ``self.split``."""
        from sklearn.datasets import load_digits  # local: scikit-learn is only needed by this dataset

        digits = load_digits()
        images = np.round(digits.images * (255.0 / 16.0)).astype(np.uint8)
        keep = select_partition(digits.target, self.split)
        return array_data_list(gray_to_rgb(images[keep]), digits.target[keep])
