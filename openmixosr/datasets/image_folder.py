"""Listing of class-folder datasets (one sub-folder of images per class), read like torchvision's ``ImageFolder``."""
import os
from typing import List

# The extensions torchvision's ImageFolder accepts, compared case-insensitively.
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')


def class_folders(folder: str) -> List[str]:
    """The names of the sub-folders of ``folder``, sorted (class ``i`` is the ``i``-th name, as in ``ImageFolder``).

    Args:
        folder (str): An existing directory.

    Returns:
        list[str]: Sorted sub-folder names; files are ignored.
    """
    with os.scandir(folder) as entries:
        return sorted(entry.name for entry in entries if entry.is_dir())


def image_files(folder: str) -> List[str]:
    """The paths of the image files directly inside ``folder``, sorted by name (sub-folders are not searched).

    Args:
        folder (str): An existing directory.

    Returns:
        list[str]: ``folder/name`` for every file whose extension is in :data:`IMAGE_EXTENSIONS`.
    """
    with os.scandir(folder) as entries:
        names = sorted(entry.name for entry in entries
                       if entry.is_file() and entry.name.lower().endswith(IMAGE_EXTENSIONS))
    return [os.path.join(folder, name) for name in names]
