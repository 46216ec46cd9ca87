"""ImageNet-21K (e.g. ImageNet-21K-P) read from one folder per WordNet id, only for the wnids asked for."""
import os.path as osp
from typing import List, Optional, Sequence

from mmpretrain.datasets import BaseDataset

from openmixosr.registry import DATASETS
from .image_folder import class_folders, image_files
from .layouts import missing_data_error

SHOWN_MISSING = 5  # how many missing wnids an error message lists


@DATASETS.register_module()
class ImageNet21KFolder(BaseDataset):
    """Images under ``data_root/<wnid>/``, one folder per WordNet id, storing image paths (decoded in the pipeline).

    ImageNet-21K has some 10-20 thousand class folders and listing every file would take long, so only the folders
    of ``wnids`` are read. Class index = position of the wnid in the sorted ``wnids`` (``metainfo['classes']`` are
    those sorted wnids). Images are the files with an ``ImageFolder`` extension directly inside each folder, sorted.

    :class:`~openmixosr.datasets.OpenSetDataset` fills ``wnids`` itself with the union of the wnids of its unknown
    sets when its ``unknown_source`` has this argument and the config leaves it out.

    Args:
        data_root (str): The directory holding the wnid folders, e.g. ``'data/imagenet21k'`` (``imagenet21k_train/``
            or ``imagenet21k_val/`` of the ImageNet-21K-P release).
        wnids (Sequence[str], optional): The WordNet ids to read; every one must have its folder (else a
            :class:`FileNotFoundError` tells how many are missing and lists the first few). Defaults to None (every
            sub-folder of ``data_root``).
        pipeline (Sequence): Processing pipeline; must start with ``dict(type='StrictLoadImageFromFile')``.
            Defaults to ().
        test_mode (bool): Raise instead of re-sampling when a sample fails in the pipeline. Defaults to False.
        indices (int | Sequence[int], optional): Keep only these samples (or the first ``indices``). Defaults to None.
        serialize_data (bool): Keep the data list pickled in one buffer shared by dataloader workers.
            Defaults to True.
    """

    def __init__(self,
                 data_root: str,
                 wnids: Optional[Sequence[str]] = None,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 indices=None,
                 serialize_data: bool = True):
        if wnids is not None:
            if isinstance(wnids, str) or not all(isinstance(wnid, str) for wnid in wnids):
                raise TypeError(f'ImageNet21KFolder: `wnids` must be a list of WordNet id strings, got {wnids!r:.80}')
            if len(set(wnids)) != len(wnids):
                raise ValueError('ImageNet21KFolder: `wnids` lists a wnid twice.')
            if not wnids:
                raise ValueError('ImageNet21KFolder: `wnids` is empty; pass None to read every folder.')
        self.wnids = None if wnids is None else sorted(wnids)
        super().__init__(
            ann_file='',
            data_root=data_root,
            pipeline=pipeline,
            test_mode=test_mode,
            indices=indices,
            serialize_data=serialize_data)

    def _resolve_wnids(self) -> List[str]:
        if self.wnids is None:
            wnids = class_folders(self.data_root)
            if not wnids:
                raise missing_data_error('ImageNet21KFolder', self.data_root, reason='it has no wnid sub-folder')
            return wnids
        missing = [wnid for wnid in self.wnids if not osp.isdir(osp.join(self.data_root, wnid))]
        if missing:
            raise missing_data_error(
                'ImageNet21KFolder', self.data_root,
                reason=f'{len(missing)} of the {len(self.wnids)} requested wnid folders are missing, e.g. '
                f'{missing[:SHOWN_MISSING]}')
        return self.wnids

    def load_data_list(self):
        """Load image paths and labels of the requested wnids; also sets the class names (the sorted wnids)."""
        if not osp.isdir(self.data_root):
            raise missing_data_error('ImageNet21KFolder', self.data_root)
        wnids = self._resolve_wnids()
        self._metainfo['classes'] = tuple(wnids)
        return [
            dict(img_path=path, gt_label=label) for label, wnid in enumerate(wnids)
            for path in image_files(osp.join(self.data_root, wnid))
        ]

    def extra_repr(self):
        """The extra repr information of the dataset: the data root and how many wnids are read."""
        wnids = 'every sub-folder' if self.wnids is None else f'{len(self.wnids)} wnids'
        return [f'Data root: \t{self.data_root}', f'Wnids: \t{wnids}']
