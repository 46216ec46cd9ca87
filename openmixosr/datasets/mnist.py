"""MNIST read from the official idx files, gzipped or not, with a test-files-only mode for offline machines."""
import gzip
import os.path as osp
import struct

import numpy as np

from openmixosr.registry import DATASETS
from .layouts import missing_data_error
from .partition import select_partition
from .source_dataset import SourceDataset
from .utils import DIGIT_CLASSES, array_data_list, gray_to_rgb


def read_idx(path: str) -> np.ndarray:
    """Read an unsigned-byte idx file (the MNIST format), gzipped when the name ends with ``.gz``.

    Args:
        path (str): Path of the idx file.

    Returns:
        np.ndarray: uint8 array with the shape stored in the header, e.g. (N, 28, 28) for images, (N,) for labels.
    """
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    if len(data) < 4 or data[:2] != b'\x00\x00' or data[2] != 0x08:
        raise ValueError(f'{path} is not an unsigned-byte idx file (bad magic number)')
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = struct.unpack(f'>{ndim}I', data[4:header])
    array = np.frombuffer(data, dtype=np.uint8, offset=header)
    if array.size != int(np.prod(shape)):
        raise ValueError(f'{path} holds {array.size} values but its header announces shape {shape}')
    return array.reshape(shape)


@DATASETS.register_module()
class OfflineMNIST(SourceDataset):
    """MNIST from the official idx files in ``data_root``, as 28x28x3 uint8 images, never downloading.

    Not a drop-in for mmpretrain's ``MNIST`` (which keeps its name and behaviour): that one picks its files by
    ``test_mode`` instead of ``split``, insists on all four unzipped files and may download. This one reads
    ``train-*`` or ``t10k-*`` files, each either plain or ``.gz``, and never downloads. The gray digits are replicated
    to 3 channels.

    With ``test_files_only=True`` only the two ``t10k-*`` files are read and their 10,000 digits are cut by the
    deterministic stratified 70 / 30 partition (:func:`openmixosr.datasets.partition.stratified_partition`, the same
    as :class:`Digits`) into a train part (6,999 digits) and a test part (3,001). That is how the real MNIST test
    set, the only MNIST files available offline, serves smoke runs and benchmarks.

    Args:
        data_root (str): Directory holding the idx files.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        test_files_only (bool): Build both splits from the t10k files as described above. Defaults to False.
        **kwargs: ``pipeline``, ``test_mode``, ``indices`` and ``serialize_data``, as in :class:`SourceDataset`.
    """

    METAINFO = {'classes': DIGIT_CLASSES}

    def __init__(self, data_root: str, split: str = 'train', test_files_only: bool = False, **kwargs):
        self.test_files_only = test_files_only
        super().__init__(data_root, split, **kwargs)

    def _find(self, name: str) -> str:
        """Path of ``name`` or ``name.gz`` in the data root (plain file preferred)."""
        for candidate in (name, name + '.gz'):
            path = osp.join(self.data_root, candidate)
            if osp.isfile(path):
                return path
        raise missing_data_error('OfflineMNIST', osp.join(self.data_root, name + '[.gz]'))

    def load_data_list(self):
        """Load the images and labels of ``self.split``."""
        if not osp.isdir(self.data_root):
            raise missing_data_error('OfflineMNIST', self.data_root)
        prefix = 't10k' if self.test_files_only or self.split == 'test' else 'train'
        images = read_idx(self._find(f'{prefix}-images-idx3-ubyte'))
        labels = read_idx(self._find(f'{prefix}-labels-idx1-ubyte'))
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f'MNIST {prefix} files disagree: images {images.shape}, labels {labels.shape}')
        if self.test_files_only:
            keep = select_partition(labels, self.split)
            images, labels = images[keep], labels[keep]
        return array_data_list(gray_to_rgb(images), labels)

    def extra_repr(self):
        """The extra repr information of the dataset."""
        return [f'Data root: \t{self.data_root}', f'Split: \t{self.split} (test_files_only={self.test_files_only})']
