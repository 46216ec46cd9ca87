"""Fake Semantic Shift Benchmark and large-scale data in the official layouts, for tests outside tests/test_datasets.

The writers are those of ``tests/test_datasets/fake_data.py``, loaded by path (that folder is not a package and its
conftest fixtures are not visible elsewhere). :func:`write_ssb_data` writes what the ``ssb_root`` fixture of
``tests/test_datasets/conftest.py`` writes, :func:`write_large_scale_data` adds Tiny-ImageNet.
"""
import importlib.util
import os.path as osp
from pathlib import Path

from openmixosr.datasets import get_unknown_sets

_FAKE_DATA = Path(__file__).resolve().parents[1] / 'test_datasets' / 'fake_data.py'


def _load_fake_data():
    spec = importlib.util.spec_from_file_location('tests_fake_data', _FAKE_DATA)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fake_data = _load_fake_data()

#: Folder of each fake dataset under the root, as under ``data/`` (ImageNet-21K: the folder of the wnid folders).
DATA_DIRS = dict(cub='CUB_200_2011', scars='stanford_cars', aircraft='fgvc-aircraft-2013b', in21k='imagenet21k',
                 tiny='tiny-imagenet-200')


def write_ssb_data(root: str) -> dict:
    """Write fake CUB, Stanford Cars and FGVC-Aircraft with their real class counts (8x8 images, one per class and
    split) and an ImageNet-21K folder holding every wnid of the 'easy' and 'hard' sets of ``'in21k_ssb'`` (one image
    each) plus one wnid of neither, under ``root/<DATA_DIRS[name]>``.

    Returns:
        dict: What each writer returned, by dataset name (``cub``, ``scars``, ``aircraft``, ``in21k``).
    """
    sets = get_unknown_sets('in21k_ssb')
    return dict(
        cub=fake_data.write_cub(osp.join(root, DATA_DIRS['cub'])),
        scars=fake_data.write_stanford_cars(osp.join(root, DATA_DIRS['scars'])),
        aircraft=fake_data.write_fgvc_aircraft(osp.join(root, DATA_DIRS['aircraft'])),
        in21k=fake_data.write_imagenet21k(osp.join(root, DATA_DIRS['in21k']),
                                          sets['easy'] + sets['hard'] + ['n99999999']),
    )


def write_large_scale_data(root: str, size: int = 8) -> dict:
    """Write a fake Tiny-ImageNet (200 classes, one ``size`` x ``size`` image per class in train and val) under
    ``root/<DATA_DIRS['tiny']>``; the ImageNet-21K part is :func:`write_ssb_data`'s.

    Returns:
        dict: What :func:`fake_data.write_tiny_imagenet` returned.
    """
    return fake_data.write_tiny_imagenet(osp.join(root, DATA_DIRS['tiny']), size=size)
