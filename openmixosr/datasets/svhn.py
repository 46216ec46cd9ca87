"""SVHN (cropped digits) from the official ``.mat`` files."""
import os.path as osp
from typing import Sequence

import numpy as np
from mmpretrain.datasets import BaseDataset

from openmixosr.registry import DATASETS
from .layouts import missing_data_error
from .utils import DIGIT_CLASSES, array_data_list


@DATASETS.register_module()
class SVHN(BaseDataset):
    """Street View House Numbers, cropped-digits format (``train_32x32.mat`` / ``test_32x32.mat``), as 32x32x3 uint8.

    The files store ``X`` as 32x32x3xN and labels ``y`` in 1..10, where 10 means the digit 0; labels are mapped to the
    digit itself (10 -> 0) so that the published SVHN open-set splits, written in digits, apply directly.

    Args:
        data_root (str): Directory holding the ``.mat`` files.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        pipeline (Sequence): Processing pipeline. Defaults to ().
        test_mode (bool): Raise instead of re-sampling when a sample fails in the pipeline. Defaults to False.
        indices (int | Sequence[int], optional): Keep only these samples (or the first ``indices``). Defaults to None.
        serialize_data (bool): Keep the data list pickled in one buffer shared by dataloader workers.
            Defaults to True.
    """

    METAINFO = {'classes': DIGIT_CLASSES}

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 indices=None,
                 serialize_data: bool = True):
        if split not in ('train', 'test'):
            raise ValueError(f"SVHN split must be 'train' or 'test', got {split!r}")
        self.split = split
        super().__init__(
            ann_file='',
            data_root=data_root,
            pipeline=pipeline,
            test_mode=test_mode,
            indices=indices,
            serialize_data=serialize_data)

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

    def extra_repr(self):
        """The extra repr information of the dataset."""
        return [f'Data root: \t{self.data_root}', f'Split: \t{self.split}']
