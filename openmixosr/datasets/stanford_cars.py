"""Stanford Cars (196 classes) from the common class-folder layout ``car_data/car_data/{train,test}/<class name>/``."""
import os.path as osp
from typing import List

from openmixosr.registry import DATASETS
from .image_folder import class_folders, image_files
from .layouts import missing_data_error
from .source_dataset import SourceDataset


@DATASETS.register_module()
class StanfordCarsFolder(SourceDataset):
    """Stanford Cars read from class folders, storing image paths (decoded in the pipeline).

    Class index = position of the class folder name in the sorted folder names of the split (torchvision's
    ``ImageFolder`` numbering, which the Semantic Shift Benchmark's ``ssb_scars`` split indexes). The class names
    (``metainfo['classes']``) are the folder names. Because the index comes from the folder names, the ``train`` and
    ``test`` folders must hold the same class folders: when both exist and differ, a :class:`ValueError` names the
    differences (the same index would mean another class in the other split). Images are the files with an
    ``ImageFolder`` extension directly inside each class folder, sorted by name.

    The pipeline must start with ``dict(type='LoadImageFromFile')`` (which loads BGR).

    Args:
        data_root (str): The directory holding ``car_data/car_data/``, e.g. ``'data/stanford_cars'``.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        pipeline, test_mode, indices, serialize_data: As in :class:`SourceDataset`.
    """

    SPLITS = ('train', 'test')

    def split_dir(self, split: str) -> str:
        """The class-folder directory of ``split``: ``{data_root}/car_data/car_data/{split}``."""
        return osp.join(self.data_root, 'car_data', 'car_data', split)

    def _check_same_classes(self, classes: List[str]) -> None:
        other = 'test' if self.split == 'train' else 'train'
        if not osp.isdir(self.split_dir(other)):
            return
        found = {self.split: classes, other: class_folders(self.split_dir(other))}
        if found['train'] != found['test']:
            only_train = sorted(set(found['train']) - set(found['test']))
            only_test = sorted(set(found['test']) - set(found['train']))
            raise ValueError(
                f'StanfordCarsFolder: {self.split_dir("train")} and {self.split_dir("test")} must hold the same class '
                'folders (class i is the i-th sorted folder name, so otherwise a label means another class in the '
                f'other split). Only in train/: {only_train[:5]} ({len(only_train)}); only in test/: {only_test[:5]} '
                f'({len(only_test)}).')

    def load_data_list(self):
        """Load image paths and labels of ``self.split``; also sets the class names (the sorted folder names)."""
        folder = self.split_dir(self.split)
        if not osp.isdir(folder):
            raise missing_data_error('StanfordCarsFolder', folder)
        classes = class_folders(folder)
        if not classes:
            raise missing_data_error('StanfordCarsFolder', folder, reason='the folder has no class sub-folder')
        self._check_same_classes(classes)
        self._metainfo['classes'] = tuple(classes)
        return [
            dict(img_path=path, gt_label=label) for label, name in enumerate(classes)
            for path in image_files(osp.join(folder, name))
        ]
