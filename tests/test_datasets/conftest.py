"""Session-wide fake datasets in the official formats (written once into a temporary directory)."""
import os.path as osp

import pytest
from fake_data import write_cifar10, write_cifar100, write_mnist, write_stl10, write_svhn, write_tiny_imagenet

from tests.helpers.ssb_data import write_ssb_data


@pytest.fixture(scope='session')
def fake_root(tmp_path_factory):
    """A ``data/``-like directory holding every fake dataset; returns (root, written arrays by dataset name)."""
    root = str(tmp_path_factory.mktemp('data'))
    written = dict(
        cifar10=write_cifar10(osp.join(root, 'cifar10')),
        cifar100=write_cifar100(osp.join(root, 'cifar100')),
        svhn=write_svhn(osp.join(root, 'svhn')),
        mnist=write_mnist(osp.join(root, 'mnist')),
        tiny=write_tiny_imagenet(osp.join(root, 'tiny-imagenet-200')),
        stl10=write_stl10(osp.join(root, 'stl10', 'stl10_binary')),
    )
    return root, written


@pytest.fixture(scope='session')
def ssb_root(tmp_path_factory):
    """The Semantic Shift Benchmark's fake datasets with their real class counts (8x8 images, one per class and
    split), and an ImageNet-21K folder holding every wnid of the 'easy' and 'hard' sets (one image each) plus one
    wnid of neither; returns (root, what each writer returned by dataset name)."""
    root = str(tmp_path_factory.mktemp('ssb_data'))
    return root, write_ssb_data(root)
