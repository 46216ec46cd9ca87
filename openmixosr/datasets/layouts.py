"""Expected on-disk layouts of the source datasets, and the error raised when the files are not there.

OpenMixOSR never downloads data. When files are missing, the error must say which dataset, which path was tried and
what to put there, so that a user can fix it without reading the loader. The layouts live in this one table, keyed by
the registered type name of the source dataset, and docs/datasets.md shows the same trees.
"""
import os.path as osp
from typing import Optional

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
}


def missing_data_error(dataset: str, path: str, reason: Optional[str] = None) -> FileNotFoundError:
    """Build the error for a source dataset whose files are not on disk.

    Args:
        dataset (str): Registered type name of the source dataset, e.g. ``'OfflineCIFAR10'``; selects the layout shown.
        path (str): The file or directory that was looked for.
        reason (str, optional): What the loader itself reported, appended for context. Defaults to None.

    Returns:
        FileNotFoundError: Raise it with ``raise missing_data_error(...)``.
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
    return FileNotFoundError('\n'.join(lines))
