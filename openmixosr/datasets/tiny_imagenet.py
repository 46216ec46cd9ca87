"""Tiny-ImageNet (200 classes, 64x64) read from the official extracted archive, including its flat ``val/``."""
import os
import os.path as osp
from typing import List

from openmixosr.registry import DATASETS
from .layouts import missing_data_error
from .source_dataset import SourceDataset

IMAGE_SUFFIXES = ('.jpeg', '.jpg', '.png')


@DATASETS.register_module()
class TinyImageNet(SourceDataset):
    """Tiny-ImageNet from the official layout ``tiny-imagenet-200/``, storing image paths (decoded in the pipeline).

    Class index = position of the wnid in the sorted wnid list (the published open-set splits index that list). The
    wnids come from ``wnids.txt`` when present, else from the folder names of ``train/``. ``train`` reads
    ``train/{wnid}/images/*.JPEG``; ``val`` reads the flat ``val/images/*.JPEG`` with labels from the tab separated
    ``val/val_annotations.txt`` (file, wnid, bbox...), as shipped. The official ``test/`` has no labels, so, as in the
    open-set literature, ``split='test'`` is an alias of ``'val'``.

    Images are not decoded up front: each data info holds ``img_path``, so the pipeline must start with
    ``dict(type='StrictLoadImageFromFile')`` (which loads BGR; see the ``to_rgb`` of the data preprocessor).

    Args:
        data_root (str): The ``tiny-imagenet-200`` directory.
        split (str): ``'train'``, ``'val'`` or ``'test'`` (= ``'val'``). Defaults to ``'train'``.
        pipeline, test_mode, indices, serialize_data: As in :class:`SourceDataset`.
    """

    SPLITS = ('train', 'val')
    SPLIT_ALIASES = {'test': 'val'}

    def load_wnids(self) -> List[str]:
        """The sorted wnid list: ``wnids.txt`` if present, else the folder names of ``train/``."""
        wnids_file = osp.join(self.data_root, 'wnids.txt')
        if osp.isfile(wnids_file):
            with open(wnids_file) as f:
                wnids = [line.strip() for line in f if line.strip()]
        else:
            train_dir = osp.join(self.data_root, 'train')
            if not osp.isdir(train_dir):
                raise missing_data_error('TinyImageNet', wnids_file + ' (or the folders of train/)')
            wnids = [name for name in os.listdir(train_dir) if osp.isdir(osp.join(train_dir, name))]
        if len(set(wnids)) != len(wnids):
            raise ValueError(f'{self.data_root}: duplicated wnids')
        return sorted(wnids)

    def _load_train(self, wnids: List[str]) -> List[dict]:
        data_list = []
        for label, wnid in enumerate(wnids):
            image_dir = osp.join(self.data_root, 'train', wnid, 'images')
            if not osp.isdir(image_dir):
                raise missing_data_error('TinyImageNet', image_dir)
            for name in sorted(os.listdir(image_dir)):
                if name.lower().endswith(IMAGE_SUFFIXES):
                    data_list.append(dict(img_path=osp.join(image_dir, name), gt_label=label))
        return data_list

    def _load_val(self, wnids: List[str]) -> List[dict]:
        annotations = osp.join(self.data_root, 'val', 'val_annotations.txt')
        image_dir = osp.join(self.data_root, 'val', 'images')
        for path in (annotations, image_dir):
            if not osp.exists(path):
                raise missing_data_error('TinyImageNet', path)
        label_of = {wnid: label for label, wnid in enumerate(wnids)}
        data_list = []
        with open(annotations) as f:
            for line_no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                fields = line.rstrip('\n').split('\t')
                if len(fields) < 2 or fields[1] not in label_of:
                    raise ValueError(f'{annotations}:{line_no}: expected "file<TAB>wnid<TAB>bbox..." with a known '
                                     f'wnid, got {line.strip()!r}')
                data_list.append(dict(img_path=osp.join(image_dir, fields[0]), gt_label=label_of[fields[1]]))
        return data_list

    def load_data_list(self):
        """Load image paths and labels of ``self.split``; also sets the class names (the wnids)."""
        if not osp.isdir(self.data_root):
            raise missing_data_error('TinyImageNet', self.data_root)
        wnids = self.load_wnids()
        self._metainfo['classes'] = tuple(wnids)
        return self._load_train(wnids) if self.split == 'train' else self._load_val(wnids)
