"""Stanford Cars (196 classes) from the Kaggle class-folder release, numbered as ``names.csv`` (cars_meta.mat order)."""
import os.path as osp
from typing import List

from openmixosr.registry import DATASETS
from .image_folder import class_folders, image_files
from .layouts import DATA_LAYOUTS, missing_data_error
from .source_dataset import SourceDataset

#: How many names a ValueError lists before summing up the rest.
_SHOWN = 5


def class_folder_name(class_name: str) -> str:
    """The folder of a Stanford Cars class: its name with ``'/'`` written ``'-'`` (a folder name cannot hold ``'/'``).

    ``'Ram C/V Cargo Van Minivan 2012'`` (``names.csv``, ``cars_meta.mat``) is the folder
    ``'Ram C-V Cargo Van Minivan 2012'``.
    """
    return class_name.replace('/', '-')


def _layout_error(message: str) -> ValueError:
    return ValueError(f'StanfordCarsFolder: {message}\nExpected on-disk layout:\n{DATA_LAYOUTS["StanfordCarsFolder"]}')


def _few(names: List[str]) -> str:
    more = f' and {len(names) - _SHOWN} more' if len(names) > _SHOWN else ''
    return f'{names[:_SHOWN]}{more} ({len(names)})'


@DATASETS.register_module()
class StanfordCarsFolder(SourceDataset):
    """Stanford Cars read from class folders, storing image paths (decoded in the pipeline).

    Class index = 0-based line of the class name in ``{data_root}/names.csv``: the 196 class names of the original
    dataset's ``cars_meta.mat``, in that order, one per line, no header (the Kaggle "stanford-car-dataset-by-classes-
    folder" release ships it). The Semantic Shift Benchmark's ``ssb_scars`` split indexes this order, NOT the sorted
    folder names of torchvision's ``ImageFolder``. Each name is stripped of surrounding whitespace; trailing empty
    lines are ignored. The folder of a class is its name with ``'/'`` replaced by ``'-'`` (:func:`class_folder_name`:
    ``names.csv``'s ``'Ram C/V Cargo Van Minivan 2012'`` is the folder ``'Ram C-V Cargo Van Minivan 2012'``). The
    class names (``metainfo['classes']``) are those of ``names.csv``, as written there.

    Samples come class by class in ``names.csv`` order; images are the files with an ``ImageFolder`` extension
    directly inside each class folder, sorted by name. The pipeline must start with
    ``dict(type='StrictLoadImageFromFile')`` (which loads BGR).

    Errors, showing the expected layout (the order is never recovered from the folder names):
    :class:`FileNotFoundError` when the split folder or ``names.csv`` is missing; :class:`ValueError` when
    ``names.csv`` has an empty line before its last name or names a class folder twice, when the ``train`` and
    ``test`` folders (when both exist) hold different class folders, when a class folder is not in ``names.csv``, or
    when a class of ``names.csv`` has no folder in the split (the SSB indexes all 196).

    Args:
        data_root (str): The directory holding ``names.csv`` and ``car_data/car_data/``, e.g. ``'data/stanford_cars'``.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        pipeline, test_mode, indices, serialize_data: As in :class:`SourceDataset`.
    """

    SPLITS = ('train', 'test')

    def split_dir(self, split: str) -> str:
        """The class-folder directory of ``split``: ``{data_root}/car_data/car_data/{split}``."""
        return osp.join(self.data_root, 'car_data', 'car_data', split)

    def names_file(self) -> str:
        """The class-order file: ``{data_root}/names.csv``."""
        return osp.join(self.data_root, 'names.csv')

    def read_class_names(self) -> List[str]:
        """The class names of ``names.csv`` in file order (class ``i`` is line ``i + 1``), stripped.

        Raises:
            FileNotFoundError: ``names.csv`` is missing (the message shows the layout).
            ValueError: An empty line before the last name, or two names with the same folder.
        """
        path = self.names_file()
        if not osp.isfile(path):
            raise missing_data_error(
                'StanfordCarsFolder', path,
                reason='names.csv gives the class order (the 196 class names of the original cars_meta.mat, one per '
                'line, no header; the Kaggle release ships it). The class folders alone cannot give it: the Semantic '
                "Shift Benchmark's class ids follow cars_meta.mat, not the sorted folder names.")
        with open(path, encoding='utf-8-sig') as f:
            names = [line.strip() for line in f]
        while names and not names[-1]:
            names.pop()
        if '' in names:
            raise _layout_error(f'line {names.index("") + 1} of {path} is empty: names.csv must hold one class name '
                                'per line (class i is line i + 1).')
        first_line = {}
        for line, name in enumerate(names, start=1):
            folder = class_folder_name(name)
            if folder in first_line:
                other = first_line[folder]
                what = (f'lists {name!r} twice' if names[other - 1] == name else
                        f'lists {names[other - 1]!r} and {name!r}, which are the same folder {folder!r}')
                raise _layout_error(f'{path} {what} (lines {other} and {line}): each class must be listed once.')
            first_line[folder] = line
        return names

    def _check_same_classes(self, folders: List[str]) -> None:
        other = 'test' if self.split == 'train' else 'train'
        if not osp.isdir(self.split_dir(other)):
            return
        found = {self.split: folders, other: class_folders(self.split_dir(other))}
        if found['train'] != found['test']:
            only_train = sorted(set(found['train']) - set(found['test']))
            only_test = sorted(set(found['test']) - set(found['train']))
            raise _layout_error(
                f'{self.split_dir("train")} and {self.split_dir("test")} must hold the same class folders (one per '
                f'line of names.csv). Only in train/: {_few(only_train)}; only in test/: {_few(only_test)}.')

    def load_data_list(self):
        """Load image paths and labels of ``self.split``; also sets the class names (those of ``names.csv``)."""
        folder = self.split_dir(self.split)
        if not osp.isdir(folder):
            raise missing_data_error('StanfordCarsFolder', folder)
        folders = class_folders(folder)
        if not folders:
            raise missing_data_error('StanfordCarsFolder', folder, reason='the folder has no class sub-folder')
        self._check_same_classes(folders)
        names = self.read_class_names()
        label_of = {class_folder_name(name): label for label, name in enumerate(names)}
        unlisted = [name for name in folders if name not in label_of]
        if unlisted:
            raise _layout_error(
                f'class folders of {folder} not in {self.names_file()}: {_few(unlisted)}. Every class folder must be '
                "a line of names.csv (with '/' written '-' in the folder name).")
        present = set(folders)
        absent = [name for name in names if class_folder_name(name) not in present]
        if absent:
            raise _layout_error(
                f'classes of {self.names_file()} without a folder in {folder}: {_few(absent)}. Every class of '
                "names.csv needs a folder (its name with '/' written '-'): the SSB's class ids index all of them.")
        self._metainfo['classes'] = tuple(names)
        return [
            dict(img_path=path, gt_label=label) for label, name in enumerate(names)
            for path in image_files(osp.join(folder, class_folder_name(name)))
        ]
