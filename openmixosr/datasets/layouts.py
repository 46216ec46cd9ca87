"""Expected on-disk layouts of the source datasets, and the error raised when the files are not there.

OpenMixOSR never downloads data. When files are missing, the error must say which dataset, which path was tried and
what to put there, so that a user can fix it without reading the loader. The layouts live in this one table, keyed by
the registered type name of the source dataset, and docs/datasets.md shows the same trees. :func:`check_image_files`
refuses, when a dataset is built, image files that its samples list but that are missing or empty.
"""
import os
import os.path as osp
from typing import Iterable, List, Optional

DATA_LAYOUTS = {
    'OfflineCIFAR10': """\
data/cifar10/                      <- data_root
└── cifar-10-batches-py/           (the extracted official python archive)
    ├── batches.meta
    ├── data_batch_1 ... data_batch_5
    └── test_batch""",
    'OfflineCIFAR100': """\
data/cifar100/                     <- data_root
└── cifar-100-python/              (the extracted official python archive)
    ├── meta
    ├── train
    └── test""",
    'OfflineMNIST': """\
data/mnist/                        <- data_root
├── train-images-idx3-ubyte[.gz]   (split='train')
├── train-labels-idx1-ubyte[.gz]
├── t10k-images-idx3-ubyte[.gz]    (split='test', or both splits with test_files_only=True)
└── t10k-labels-idx1-ubyte[.gz]""",
    'SVHN': """\
data/svhn/                         <- data_root
├── train_32x32.mat                (cropped-digits format: X is 32x32x3xN, y in 1..10)
└── test_32x32.mat""",
    'STL10': """\
data/stl10/
└── stl10_binary/                  <- data_root (the extracted official binary archive)
    ├── train_X.bin                (split='train': 5,000 images, 3x96x96 uint8, planes column-major)
    ├── train_y.bin                (one byte per image, labels 1..10)
    ├── test_X.bin                 (split='test': 8,000 images)
    ├── test_y.bin
    ├── unlabeled_X.bin            (split='unlabeled': 100,000 images, 2.7 GB, memory-mapped)
    └── class_names.txt            (optional, not read; fold_indices.txt is not used either)""",
    'TinyImageNet': """\
data/tiny-imagenet-200/            <- data_root (the extracted official archive, unchanged)
├── wnids.txt                      (optional: else the sorted folder names of train/)
├── train/
│   └── n01443537/images/n01443537_0.JPEG ...
└── val/
    ├── images/val_0.JPEG ...
    └── val_annotations.txt        (tab separated: file, wnid, bbox)""",
    'CUB': """\
data/CUB_200_2011/                 <- data_root (the extracted CUB_200_2011.tgz; read by mmpretrain's CUB)
├── images.txt                     (image id, path under images/)
├── image_class_labels.txt         (image id, class id 1..200; label = class id - 1)
├── train_test_split.txt           (image id, 1 = train, 0 = test)
├── classes.txt                    (optional, not read: class id, folder name)
└── images/
    └── 001.Black_footed_Albatross/Black_Footed_Albatross_0001_796111.jpg ...""",
    'FGVCAircraft': """\
data/fgvc-aircraft-2013b/          <- data_root (the extracted archive; read by mmpretrain's FGVCAircraft)
└── data/
    ├── images_variant_trainval.txt  (split='trainval': image id and variant name per line)
    ├── images_variant_test.txt      (split='test'; also images_variant_{train,val}.txt for 'train' / 'val')
    ├── variants.txt                 (optional, not read: the 100 variant names)
    └── images/
        └── 1025794.jpg ...""",
    'StanfordCarsFolder': """\
data/stanford_cars/                <- data_root (Kaggle's "stanford-car-dataset-by-classes-folder", extracted)
├── names.csv                      (required: the 196 class names in cars_meta.mat order, one per line, no header;
│                                   label = line - 1, the order of the SSB's class ids, NOT the sorted folders)
├── anno_train.csv                 (optional, not read)
├── anno_test.csv                  (optional, not read)
└── car_data/
    └── car_data/
        ├── train/
        │   └── AM General Hummer SUV 2000/00163.jpg ...   (one folder per line of names.csv, '/' written '-':
        │                                                   'Ram C/V Cargo Van Minivan 2012' is 'Ram C-V ...')
        └── test/
            └── AM General Hummer SUV 2000/00046.jpg ...   (the same class folders as train/)""",
    'ImageNet21KFolder': """\
data/imagenet21k_resized/imagenet21k_val/   <- data_root: one folder per WordNet id (ImageNet-21K-P validation)
├── n00005787/
│   └── n00005787_10001.JPEG ...
└── n00006484/ ...                 (only the folders of the wnids asked for are read)""",
}


class MissingDataError(FileNotFoundError):
    """A :class:`FileNotFoundError` whose message already shows the dataset, the path and the expected layout."""


def missing_data_error(dataset: str, path: str, reason: Optional[str] = None) -> MissingDataError:
    """Build the error for a source dataset whose files are not on disk.

    Args:
        dataset (str): Registered type name of the source dataset, e.g. ``'OfflineCIFAR10'``; selects the layout shown.
        path (str): The file or directory that was looked for.
        reason (str, optional): What the loader itself reported, appended for context. Defaults to None.

    Returns:
        MissingDataError: A :class:`FileNotFoundError`; raise it with ``raise missing_data_error(...)``.
    """
    layout = DATA_LAYOUTS.get(dataset)
    where = f'{path!r}' if osp.isabs(path) else f'{path!r} (relative to the working directory: {osp.abspath(path)!r})'
    lines = [f'{dataset} data not found: tried {where}.']
    if layout is None:
        lines.append('Put the files where the dataset class expects them (see its documentation).')
    else:
        lines += ['Expected on-disk layout:', layout]
    lines.append('OpenMixOSR never downloads data: place the official files there yourself (see docs/datasets.md).')
    if reason:
        lines.append(f'The loader reported: {reason}')
    return MissingDataError('\n'.join(lines))


#: How many offending files an error of :func:`check_image_files` names.
SHOWN_FILES = 3


class EmptyImageFileError(ValueError):
    """Image files that a dataset lists are empty (0 bytes): decoding them would fail in the middle of an epoch."""


def _few(paths: List[str]) -> str:
    return ', '.join(repr(path) for path in paths[:SHOWN_FILES]) + (', ...' if len(paths) > SHOWN_FILES else '')


def check_image_files(data_infos: Iterable[dict], dataset: str) -> None:
    """Refuse a dataset whose samples list an image file that is missing or empty, before anything is trained.

    Every local ``img_path`` is looked up once with :func:`os.stat` (no file is opened or decoded: about 1 s per
    100,000 files on a local disk, measured 0.2 s for 20,000); samples without ``img_path`` (arrays) and URLs are
    skipped. Otherwise a missing file fails at the first batch that draws it and a 0-byte file, left by an interrupted
    copy or extraction, makes OpenCV fail mid-epoch (``!buf.empty()``) without naming the file.

    Args:
        data_infos (Iterable[dict]): The dataset's data infos (``img_path`` read when present).
        dataset (str): Registered type name of the dataset, e.g. ``'TinyImageNet'``; selects the layout shown.

    Raises:
        MissingDataError: A listed file does not exist (the count, the first few and the expected layout).
        EmptyImageFileError: A listed file is empty (the count and the first few).
    """
    missing, empty, total = [], [], 0
    for info in data_infos:
        path = info.get('img_path')
        if path is None or '://' in path:
            continue
        total += 1
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            missing.append(path)
            continue
        if size == 0:
            empty.append(path)
    if missing:
        raise missing_data_error(
            dataset, missing[0], reason=f'{len(missing)} of the {total} image files its samples list are not there '
            f'({_few(missing)}): are the images extracted next to the annotation files?')
    if empty:
        raise EmptyImageFileError(
            f'{dataset}: {len(empty)} of the {total} image files its samples list are empty (0 bytes): '
            f'{_few(empty)}. An interrupted copy or extraction leaves such files, and decoding them would fail in the '
            'middle of an epoch. Copy or extract these files again (or delete them and the annotation lines that '
            'list them).')
