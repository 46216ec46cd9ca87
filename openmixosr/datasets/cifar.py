"""mmpretrain's CIFAR-10/100 readers made offline: never download, say what to put where when files are missing.

Registered as ``OfflineCIFAR10`` / ``OfflineCIFAR100``, not under mmpretrain's names: mmpretrain's ``CIFAR10`` /
``CIFAR100`` stay reachable (``type='CIFAR10'``) and behave as mmpretrain documents them.
"""
import os.path as osp
from typing import Sequence

from mmpretrain.datasets import CIFAR10 as _MMPretrainCIFAR10
from mmpretrain.datasets import CIFAR100 as _MMPretrainCIFAR100

from openmixosr.registry import DATASETS
from .layouts import missing_data_error


class _OfflineCIFAR:
    """Mixin over mmpretrain's CIFAR readers (which read ``cifar-10-batches-py`` / ``cifar-100-python``).

    mmpretrain's readers default to ``download=True`` and, before reading, require every train *and* test file with
    the official md5 sums. Here ``download`` is always False, only the files of the requested split must exist, and a
    missing file raises :class:`FileNotFoundError` with the expected layout. md5 sums are not checked (a truncated
    pickle still fails when it is read); this also lets the tests use small archives in the official format.
    """

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 indices=None,
                 serialize_data: bool = True):
        super().__init__(
            data_root=data_root,
            split=split,
            download=False,
            pipeline=pipeline,
            test_mode=test_mode,
            indices=indices,
            serialize_data=serialize_data)

    def _split_files(self):
        """Paths of the pickles that make up ``self.split``."""
        files = self.train_list if self.split == 'train' else self.test_list
        return [osp.join(self.data_prefix['root'], self.base_folder, name) for name, _ in files]

    def _check_integrity(self):
        """Presence of the files of the requested split (mmpretrain's checks all files and their md5)."""
        return all(osp.isfile(path) for path in self._split_files())

    def load_data_list(self):
        """Load images and labels, or raise :class:`FileNotFoundError` naming the missing file and the layout."""
        for path in self._split_files():
            if not osp.isfile(path):
                raise missing_data_error(type(self).__name__, path)
        return super().load_data_list()


@DATASETS.register_module()
class OfflineCIFAR10(_OfflineCIFAR, _MMPretrainCIFAR10):
    """mmpretrain's ``CIFAR10`` read from ``{data_root}/cifar-10-batches-py`` without ever downloading.

    Args:
        data_root (str): Directory that contains ``cifar-10-batches-py``.
        split (str): ``'train'`` (the five data batches) or ``'test'``. Defaults to ``'train'``.
        pipeline, test_mode, indices, serialize_data: As in :class:`~openmixosr.datasets.SourceDataset`.
    """


@DATASETS.register_module()
class OfflineCIFAR100(_OfflineCIFAR, _MMPretrainCIFAR100):
    """mmpretrain's ``CIFAR100`` (fine labels) read from ``{data_root}/cifar-100-python`` without ever downloading.

    Args:
        data_root (str): Directory that contains ``cifar-100-python``.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        pipeline, test_mode, indices, serialize_data: As in :class:`~openmixosr.datasets.SourceDataset`.
    """
