"""STL-10 from the official binary files, memory-mapped so that the 2.7 GB unlabeled split is never loaded into RAM."""
import os
import os.path as osp
from typing import Dict, List

import numpy as np

from openmixosr.registry import DATASETS
from .layouts import missing_data_error
from .source_dataset import SourceDataset

STL10_CLASSES = ('airplane', 'bird', 'car', 'cat', 'deer', 'dog', 'horse', 'monkey', 'ship', 'truck')
STL10_IMAGE_SHAPE = (3, 96, 96)  # one image in the X files: channel planes of 96x96, each stored column-major
STL10_IMAGE_BYTES = 3 * 96 * 96
# Which files make up each split, in order.
STL10_SPLITS = {
    'train': ('train', ),
    'test': ('test', ),
    'unlabeled': ('unlabeled', ),
    'train+unlabeled': ('train', 'unlabeled'),
}


class _MemmapCache:
    """Read-only memory maps of the X files, opened on first use and owned by one process.

    Pickling or deep-copying gives an empty cache, so that a dataset sent to dataloader workers (or copied by
    ``get_subset``) never carries image bytes and each process maps the files itself; a fork is detected by the pid.
    """

    def __init__(self):
        self._pid = None
        self._maps: Dict[str, np.memmap] = {}

    def get(self, path: str) -> np.memmap:
        """The N x 3 x 96 x 96 uint8 memory map of ``path``."""
        if self._pid != os.getpid():
            self._pid, self._maps = os.getpid(), {}
        if path not in self._maps:
            num = _num_images(path)
            self._maps[path] = np.memmap(path, dtype=np.uint8, mode='r', shape=(num, ) + STL10_IMAGE_SHAPE)
        return self._maps[path]

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self.__init__()

    def __deepcopy__(self, memo):
        return type(self)()


def _num_images(path: str) -> int:
    """Number of images in an X file, checking that its size is a whole number of 3x96x96 images."""
    size = osp.getsize(path)
    if size == 0 or size % STL10_IMAGE_BYTES:
        raise ValueError(f'{path}: {size} bytes is not a whole, non-zero number of STL-10 images '
                         f'({STL10_IMAGE_BYTES} bytes = 3x96x96 each); the file is truncated or not an STL-10 X file')
    return size // STL10_IMAGE_BYTES


@DATASETS.register_module()
class STL10(SourceDataset):
    """STL-10 from the official binary files (``stl10_binary``), as 96x96x3 uint8 RGB images.

    The X files hold N x 3 x 96 x 96 bytes, each channel plane stored column-major; images are returned upright as
    H x W x 3. The y files hold one byte per image in 1..10, mapped to labels 0..9 (classes :data:`STL10_CLASSES`);
    unlabeled images get label -1. ``'train+unlabeled'`` is the train images followed by the unlabeled ones.

    The X files are memory-mapped, never read whole: data infos hold only ``gt_label`` and ``stl10_index`` (file key,
    row), so the (serialized) data list stays small, and :meth:`get_data_info` adds ``img``, a contiguous copy of that
    one image, when a sample is fetched. Each process maps the files itself (dataloader workers included).

    Args:
        data_root (str): The ``stl10_binary`` directory holding ``train_X.bin``, ``train_y.bin``, ``test_X.bin``,
            ``test_y.bin`` and ``unlabeled_X.bin``; only the files of ``split`` must exist.
        split (str): ``'train'`` (5,000 labelled images), ``'test'`` (8,000), ``'unlabeled'`` (100,000) or
            ``'train+unlabeled'``. Defaults to ``'train'``.
        **kwargs: ``pipeline``, ``test_mode``, ``indices`` and ``serialize_data``, as in :class:`SourceDataset`.
    """

    METAINFO = {'classes': STL10_CLASSES}
    SPLITS = tuple(STL10_SPLITS)

    def __init__(self, data_root: str, split: str = 'train', **kwargs):
        self._memmaps = _MemmapCache()
        super().__init__(data_root, split, **kwargs)

    def _path(self, name: str) -> str:
        path = osp.join(self.data_root, name)
        if not osp.isfile(path):
            raise missing_data_error('STL10', path)
        return path

    def _read_labels(self, key: str, num: int) -> np.ndarray:
        """Labels 0..9 of the ``num`` images of ``{key}_X.bin``, from the bytes 1..10 of ``{key}_y.bin``."""
        path = self._path(f'{key}_y.bin')
        labels = np.fromfile(path, dtype=np.uint8).astype(np.int64)
        if len(labels) != num:
            raise ValueError(f'{path} holds {len(labels)} labels but {key}_X.bin holds {num} images')
        if labels.size and (labels.min() < 1 or labels.max() > 10):
            raise ValueError(f'{path}: STL-10 labels must be in 1..10, got {labels.min()}..{labels.max()}')
        return labels - 1

    def load_data_list(self) -> List[dict]:
        """Check the files of ``self.split`` and list its samples (labels and positions only, no pixels)."""
        if not osp.isdir(self.data_root):
            raise missing_data_error('STL10', self.data_root)
        data_list = []
        for key in STL10_SPLITS[self.split]:
            num = _num_images(self._path(f'{key}_X.bin'))
            labels = np.full(num, -1, dtype=np.int64) if key == 'unlabeled' else self._read_labels(key, num)
            data_list += [dict(gt_label=int(label), stl10_index=(key, row)) for row, label in enumerate(labels)]
        return data_list

    def _index_info(self, idx: int) -> dict:
        """The stored data info of sample ``idx``: ``gt_label``, ``stl10_index`` and ``sample_idx``, no image."""
        return super().get_data_info(idx)

    def read_image(self, key: str, row: int) -> np.ndarray:
        """Image ``row`` of ``{key}_X.bin`` as an upright, contiguous 96 x 96 x 3 uint8 array (a copy)."""
        images = self._memmaps.get(osp.join(self.data_root, f'{key}_X.bin'))
        # (C, W, H) as stored (column-major planes) -> (H, W, C), i.e. axes (0, 3, 2, 1) of the whole file.
        return np.array(images[row].transpose(2, 1, 0), dtype=np.uint8, order='C')

    def get_data_info(self, idx: int) -> dict:
        """Data info of sample ``idx`` with its image read from the memory-mapped file as ``img``."""
        info = self._index_info(idx)
        info['img'] = self.read_image(*info['stl10_index'])
        return info

    def get_gt_labels(self) -> np.ndarray:
        """All labels (-1 for unlabeled images), without reading any image."""
        return np.array([self._index_info(i)['gt_label'] for i in range(len(self))], dtype=np.int64)

    def get_cat_ids(self, idx: int) -> List[int]:
        """Category of sample ``idx`` (``[-1]`` when unlabeled), without reading its image."""
        return [int(self._index_info(idx)['gt_label'])]
