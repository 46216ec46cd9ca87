"""SVHN (cropped digits) from the official ``.mat`` files."""
import os.path as osp

import numpy as np

from openmixosr.registry import DATASETS
from .layouts import missing_data_error
from .source_dataset import SourceDataset
from .utils import DIGIT_CLASSES, array_data_list


@DATASETS.register_module()
class SVHN(SourceDataset):
    """Street View House Numbers, cropped-digits format (``train_32x32.mat`` / ``test_32x32.mat``), as 32x32x3 uint8.

    The files store ``X`` as 32x32x3xN and labels ``y`` in 1..10, where 10 means the digit 0; labels are mapped to the
    digit itself (10 -> 0) so that the published SVHN open-set splits, written in digits, apply directly.

    Args:
        data_root (str): Directory holding the ``.mat`` files.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        pipeline, test_mode, indices, serialize_data: As in :class:`SourceDataset`.
    """

    METAINFO = {'classes': DIGIT_CLASSES}

    def load_data_list(self):
        """Load the images and labels of ``self.split``."""
        from scipy.io import loadmat  # local: scipy is only needed by this dataset

        path = osp.join(self.data_root, f'{self.split}_32x32.mat')
        if not osp.isfile(path):
            raise missing_data_error('SVHN', path)
        mat = loadmat(path)
        images = np.ascontiguousarray(np.transpose(mat['X'], (3, 0, 1, 2))).astype(np.uint8, copy=False)
        labels = np.asarray(mat['y']).reshape(-1).astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() > 10):
            raise ValueError(f'{path}: SVHN labels must be in 1..10 (10 = digit 0), got {labels.min()}..{labels.max()}')
        labels[labels == 10] = 0
        return array_data_list(images, labels)
