"""Closed-set sources read from the official on-disk formats (fake files) and the embedded digits."""
import os.path as osp

import numpy as np
import pytest
from fake_data import write_mnist, write_tiny_imagenet
from sklearn.datasets import load_digits

from openmixosr.datasets import (SVHN, Digits, OfflineCIFAR10, OfflineCIFAR100, OfflineMNIST, TinyImageNet, read_idx,
                                 stratified_partition)
from openmixosr.registry import DATASETS


def images_and_labels(dataset):
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    return np.stack([info['img'] for info in infos]), np.array([info['gt_label'] for info in infos])


# --- the partition shared by Digits and MNIST(test_files_only=True) ---


def test_partition_is_stratified_disjoint_complete_and_deterministic():
    labels = np.repeat(np.arange(4), [10, 20, 7, 3])
    train, test = stratified_partition(labels)
    assert np.intersect1d(train, test).size == 0
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(len(labels)))
    assert np.bincount(labels[train]).tolist() == [7, 14, 5, 2]  # round(0.7 * n) per class
    again = stratified_partition(labels)
    assert np.array_equal(train, again[0]) and np.array_equal(test, again[1])
    # The draw is a shuffle, not the first 70% of each class.
    assert not np.array_equal(train[labels[train] == 1], np.flatnonzero(labels == 1)[:14])


def test_partition_rejects_bad_fraction():
    with pytest.raises(ValueError):
        stratified_partition([0, 1], train_fraction=1.0)


# --- Digits ---


def test_digits_partition_and_pixels():
    train, test = Digits(split='train'), Digits(split='test')
    assert (len(train), len(test)) == (1258, 539)
    train_images, train_labels = images_and_labels(train)
    test_images, test_labels = images_and_labels(test)
    assert train_images.shape[1:] == (8, 8, 3) and train_images.dtype == np.uint8
    assert np.array_equal(train_images[..., 0], train_images[..., 2])  # gray replicated
    # Stratified: every class keeps round(0.7 * n) of its samples in train.
    digits = load_digits()
    expected = [int(round(0.7 * n)) for n in np.bincount(digits.target)]
    assert np.bincount(train_labels).tolist() == expected
    # Disjoint and complete: the two parts are exactly the 1,797 digits, each once.
    train_idx, test_idx = stratified_partition(digits.target)
    scaled = np.round(digits.images * 255 / 16).astype(np.uint8)
    assert np.array_equal(train_images[..., 0], scaled[train_idx])
    assert np.array_equal(test_images[..., 0], scaled[test_idx])
    assert np.array_equal(test_labels, digits.target[test_idx])
    assert scaled.max() == 255 and test_images.max() == 255
    # Deterministic across builds.
    assert np.array_equal(images_and_labels(Digits(split='test'))[0], test_images)


def test_digits_bad_split():
    with pytest.raises(ValueError, match='split'):
        Digits(split='val')


# --- MNIST ---


@pytest.mark.parametrize('gz', [True, False])
def test_mnist_reads_idx_files(tmp_path, gz):
    written = write_mnist(str(tmp_path), per_class=2, gz=gz)
    for split, prefix in (('train', 'train'), ('test', 't10k')):
        images, labels = images_and_labels(OfflineMNIST(data_root=str(tmp_path), split=split))
        assert images.shape == (20, 28, 28, 3)
        assert np.array_equal(images[..., 1], written[f'{prefix}_images'])
        assert np.array_equal(labels, written[f'{prefix}_labels'])


def test_read_idx_rejects_bad_files(tmp_path):
    path = tmp_path / 'bad-idx1-ubyte'
    path.write_bytes(b'\x00\x00\x0d\x01' + (3).to_bytes(4, 'big') + b'\x00\x00\x00')
    with pytest.raises(ValueError, match='magic'):
        read_idx(str(path))
    path.write_bytes(b'\x00\x00\x08\x01' + (5).to_bytes(4, 'big') + b'\x00\x00\x00')
    with pytest.raises(ValueError, match='shape'):
        read_idx(str(path))


def test_mnist_test_files_only(tmp_path):
    written = write_mnist(str(tmp_path), per_class=10, prefixes=('t10k', ))  # no train files at all
    train = OfflineMNIST(data_root=str(tmp_path), split='train', test_files_only=True)
    test = OfflineMNIST(data_root=str(tmp_path), split='test', test_files_only=True)
    train_images, train_labels = images_and_labels(train)
    test_images, test_labels = images_and_labels(test)
    assert (len(train), len(test)) == (70, 30)
    assert np.bincount(train_labels).tolist() == [7] * 10
    train_idx, test_idx = stratified_partition(written['t10k_labels'])
    assert np.array_equal(train_images[..., 0], written['t10k_images'][train_idx])
    assert np.array_equal(test_images[..., 0], written['t10k_images'][test_idx])
    with pytest.raises(FileNotFoundError, match='train-images-idx3-ubyte'):
        OfflineMNIST(data_root=str(tmp_path), split='train')


def test_offline_sources_leave_mmpretrains_names_alone():
    # Ours are registered under their own names; mmpretrain's CIFAR10 / CIFAR100 / MNIST keep theirs (and download
    # by default: OpenSetDataset turns that off for sources).
    import mmpretrain.datasets as upstream
    for ours, name in ((OfflineCIFAR10, 'CIFAR10'), (OfflineCIFAR100, 'CIFAR100'), (OfflineMNIST, 'MNIST')):
        assert DATASETS.get(ours.__name__) is ours
        assert DATASETS.get(name) is getattr(upstream, name)


# --- SVHN ---


def test_svhn_maps_label_10_to_digit_0(fake_root):
    root, written = fake_root
    for split in ('train', 'test'):
        images, labels = images_and_labels(SVHN(data_root=osp.join(root, 'svhn'), split=split))
        assert np.array_equal(labels, written['svhn'][f'{split}_digits'])
        assert np.array_equal(images, written['svhn'][f'{split}_images'])
    assert 0 in labels and 10 not in labels


# --- Tiny-ImageNet ---


def test_tiny_imagenet_val_labels_from_annotations(fake_root):
    root, written = fake_root
    tiny = written['tiny']
    val = TinyImageNet(data_root=osp.join(root, 'tiny-imagenet-200'), split='val')
    assert val.metainfo['classes'] == tuple(tiny['wnids'])  # sorted, although wnids.txt is shuffled
    assert len(val) == tiny['val_count']
    for index in range(len(val)):
        info = val.get_data_info(index)
        name = osp.basename(info['img_path'])
        assert info['gt_label'] == tiny['wnids'].index(tiny['val_files'][name])
        assert osp.isfile(info['img_path'])
    assert 'img' not in val.get_data_info(0)  # decoded by the pipeline, not up front
    test = TinyImageNet(data_root=osp.join(root, 'tiny-imagenet-200'), split='test')
    assert [test.get_data_info(i)['img_path'] for i in range(3)] == [val.get_data_info(i)['img_path'] for i in range(3)]


def test_tiny_imagenet_train_and_wnids_without_file(tmp_path):
    write_tiny_imagenet(str(tmp_path), num_classes=3, train_per_class=2, val_per_class=1, size=8, wnids_file=False)
    train = TinyImageNet(data_root=str(tmp_path), split='train')
    assert train.metainfo['classes'] == ('n00000000', 'n00000001', 'n00000002')
    labels = [train.get_data_info(i)['gt_label'] for i in range(len(train))]
    assert labels == [0, 0, 1, 1, 2, 2]
    assert osp.basename(osp.dirname(osp.dirname(train.get_data_info(2)['img_path']))) == 'n00000001'


def test_tiny_imagenet_unknown_wnid_in_annotations(tmp_path):
    write_tiny_imagenet(str(tmp_path), num_classes=2, size=8)
    with open(tmp_path / 'val' / 'val_annotations.txt', 'a') as f:
        f.write('val_x.JPEG\tn99999999\t0\t0\t7\t7\n')
    with pytest.raises(ValueError, match='val_annotations.txt:3'):
        TinyImageNet(data_root=str(tmp_path), split='val')


# --- CIFAR ---


def test_cifar10_reads_batches(fake_root):
    root, written = fake_root
    for split in ('train', 'test'):
        images, labels = images_and_labels(OfflineCIFAR10(data_root=osp.join(root, 'cifar10'), split=split))
        assert np.array_equal(images, written['cifar10'][f'{split}_images'])
        assert np.array_equal(labels, written['cifar10'][f'{split}_labels'])


def test_cifar100_reads_fine_labels(fake_root):
    root, written = fake_root
    dataset = OfflineCIFAR100(data_root=osp.join(root, 'cifar100'), split='test')
    images, labels = images_and_labels(dataset)
    assert np.array_equal(labels, written['cifar100']['test_labels'])
    assert np.array_equal(images, written['cifar100']['test_images'])
    assert len(dataset.metainfo['classes']) == 100


def test_cifar_needs_only_the_requested_split(tmp_path, fake_root):
    root, _ = fake_root
    import shutil
    shutil.copytree(osp.join(root, 'cifar10', 'cifar-10-batches-py'), tmp_path / 'cifar-10-batches-py')
    (tmp_path / 'cifar-10-batches-py' / 'data_batch_3').unlink()
    assert len(OfflineCIFAR10(data_root=str(tmp_path), split='test')) == 30
    with pytest.raises(FileNotFoundError, match='data_batch_3'):
        OfflineCIFAR10(data_root=str(tmp_path), split='train')
