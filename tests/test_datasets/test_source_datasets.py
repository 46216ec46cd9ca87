"""Closed-set sources read from the official on-disk formats (fake files) and the embedded digits."""
import os
import os.path as osp

import numpy as np
import pytest
from fake_data import cub_folder, write_imagenet21k, write_mnist, write_stanford_cars, write_tiny_imagenet
from sklearn.datasets import load_digits

from openmixosr.datasets import (SVHN, Digits, ImageNet21KFolder, OfflineCIFAR10, OfflineCIFAR100, OfflineMNIST,
                                 StanfordCarsFolder, TinyImageNet, build_source, read_idx, stratified_partition)
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


# --- Semantic Shift Benchmark sources: mmpretrain's CUB and FGVCAircraft, our Stanford Cars and ImageNet-21K folders


def labels_and_paths(dataset):
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    return [info['gt_label'] for info in infos], [info['img_path'] for info in infos]


def test_cub_label_is_class_id_minus_one(ssb_root):
    root, written = ssb_root
    for split in ('train', 'test'):
        cub = build_source(dict(type='CUB', data_root=osp.join(root, 'CUB_200_2011'), split=split))
        assert type(cub).__module__.startswith('mmpretrain')  # mmpretrain's class, reached through our registry
        labels, paths = labels_and_paths(cub)
        assert labels == written['cub'][f'{split}_labels']  # image id order, class id - 1
        assert paths == [osp.join(root, 'CUB_200_2011', 'images', p) for p in written['cub'][f'{split}_paths']]
        # The image folder names the class: '001.Black_footed_Albatross' is label 0.
        assert all(path.split(os.sep)[-2] == cub_folder(label) for label, path in zip(labels, paths))
    assert len(cub.metainfo['classes']) == 200 and cub.metainfo['classes'][0] == 'Black_footed_Albatross'


def test_fgvc_aircraft_classes_are_numpy_unique_order(ssb_root):
    root, written = ssb_root
    from mmpretrain.datasets.categories import FGVCAIRCRAFT_CATEGORIES

    aircraft = build_source(dict(type='FGVCAircraft', data_root=osp.join(root, 'fgvc-aircraft-2013b'), split='test'))
    classes = aircraft.metainfo['classes']
    # The SSB numbers the variants as numpy.unique sorts the names of the annotation files.
    written_names = written['aircraft']['trainval_variants'] + written['aircraft']['test_variants']
    assert list(classes) == list(np.unique(written_names)) == list(np.unique(FGVCAIRCRAFT_CATEGORIES))
    assert len(classes) == 100
    labels, _ = labels_and_paths(aircraft)
    assert [classes[label] for label in labels] == written['aircraft']['test_variants']
    trainval = build_source(dict(type='FGVCAircraft', data_root=osp.join(root, 'fgvc-aircraft-2013b'),
                                 split='trainval'))
    assert len(trainval) == 100


def test_mmpretrain_names_keep_mmpretrains_classes():
    import mmpretrain.datasets as upstream
    assert DATASETS.get('CUB') is upstream.CUB and DATASETS.get('FGVCAircraft') is upstream.FGVCAircraft
    assert DATASETS.get('StanfordCarsFolder') is StanfordCarsFolder
    assert DATASETS.get('ImageNet21KFolder') is ImageNet21KFolder


def test_stanford_cars_labels_are_names_csv_lines_not_sorted_folders(ssb_root):
    root, written = ssb_root
    cars = written['scars']
    data_root = osp.join(root, 'stanford_cars')
    for split in ('train', 'test'):
        dataset = StanfordCarsFolder(data_root=data_root, split=split)
        classes = dataset.metainfo['classes']
        assert classes == tuple(cars['classes']) and len(classes) == 196
        labels, paths = labels_and_paths(dataset)
        assert list(zip(paths, labels)) == cars[f'{split}_samples']
        label_of_folder = {path.split(os.sep)[-2]: label for label, path in zip(labels, paths)}
        # The real cars_meta.mat order (the Kaggle names.csv): 0 Hummer, 1 Acura RL, ..., 5 Acura Integra.
        assert label_of_folder['AM General Hummer SUV 2000'] == 0
        assert label_of_folder['Acura RL Sedan 2012'] == 1 and label_of_folder['Acura Integra Type R 2001'] == 5
        assert classes[1] == 'Acura RL Sedan 2012' and classes[5] == 'Acura Integra Type R 2001'
        # names.csv writes 'Ram C/V ...', the folder is 'Ram C-V ...' (line 174 of the fake names.csv).
        assert label_of_folder['Ram C-V Cargo Van Minivan 2012'] == 173
        assert classes[173] == 'Ram C/V Cargo Van Minivan 2012'
    # ImageFolder's numbering (sorted folder names) would give other labels: the checks above see the order.
    by_sorting = sorted(os.listdir(osp.join(data_root, 'car_data', 'car_data', 'test')))
    assert by_sorting.index('Acura Integra Type R 2001') != 5 and by_sorting.index('Acura RL Sedan 2012') != 1
    assert by_sorting.index('Ram C-V Cargo Van Minivan 2012') != 173


SMALL_CARS = ['Acura RL Sedan 2012', 'Ram C/V Cargo Van Minivan 2012', 'AM General Hummer SUV 2000',
              'Acura Integra Type R 2001']


def write_names(root, text):
    (root / 'names.csv').write_text(text)


def test_stanford_cars_names_csv_is_stripped_and_trailing_empty_lines_ignored(tmp_path):
    write_stanford_cars(str(tmp_path), names=SMALL_CARS)
    write_names(tmp_path, '  Acura RL Sedan 2012\t\nRam C/V Cargo Van Minivan 2012 \r\nAM General Hummer SUV 2000\n'
                'Acura Integra Type R 2001\n\n  \n')
    dataset = StanfordCarsFolder(data_root=str(tmp_path), split='test')
    assert dataset.metainfo['classes'] == tuple(SMALL_CARS)
    labels, paths = labels_and_paths(dataset)
    assert [(path.split(os.sep)[-2], label) for label, path in zip(labels, paths)] == [
        ('Acura RL Sedan 2012', 0), ('Ram C-V Cargo Van Minivan 2012', 1), ('AM General Hummer SUV 2000', 2),
        ('Acura Integra Type R 2001', 3)]


def test_stanford_cars_without_names_csv_shows_the_layout(tmp_path):
    write_stanford_cars(str(tmp_path), names=SMALL_CARS)
    (tmp_path / 'names.csv').unlink()
    with pytest.raises(FileNotFoundError, match=r'(?s)StanfordCarsFolder data not found: tried .*names\.csv.*'
                                                r'Expected on-disk layout.*names\.csv .*cars_meta\.mat order.*'
                                                r'The loader reported: .*not the sorted folder names'):
        StanfordCarsFolder(data_root=str(tmp_path), split='train')


@pytest.mark.parametrize('text, message', [
    ('Acura RL Sedan 2012\nRam C/V Cargo Van Minivan 2012\nAM General Hummer SUV 2000\nAcura RL Sedan 2012\n'
     'Acura Integra Type R 2001\n', r"lists 'Acura RL Sedan 2012' twice \(lines 1 and 4\)"),
    ('Acura RL Sedan 2012\nRam C/V Cargo Van Minivan 2012\nAM General Hummer SUV 2000\n'
     'Acura Integra Type R 2001\nRam C-V Cargo Van Minivan 2012\n',
     r"lists 'Ram C/V Cargo Van Minivan 2012' and 'Ram C-V Cargo Van Minivan 2012', which are the same folder"),
    ('Acura RL Sedan 2012\n\nRam C/V Cargo Van Minivan 2012\nAM General Hummer SUV 2000\n'
     'Acura Integra Type R 2001\n', r'line 2 of .*names\.csv is empty'),
])
def test_stanford_cars_refuses_a_bad_names_csv(tmp_path, text, message):
    write_stanford_cars(str(tmp_path), names=SMALL_CARS)
    write_names(tmp_path, text)
    with pytest.raises(ValueError, match=rf'(?s)StanfordCarsFolder: .*{message}.*Expected on-disk layout'):
        StanfordCarsFolder(data_root=str(tmp_path), split='train')


def test_stanford_cars_refuses_folders_not_in_names_csv(tmp_path):
    write_stanford_cars(str(tmp_path), names=SMALL_CARS)
    extra = [f'Zz Extra {k}' for k in range(7)]
    for split in ('train', 'test'):
        for name in extra:
            (tmp_path / 'car_data' / 'car_data' / split / name).mkdir()
    # Seven unknown folders: five are listed, then the count.
    with pytest.raises(ValueError, match=r"(?s)class folders of .*test not in .*names\.csv: \['Zz Extra 0', "
                                         r"'Zz Extra 1', 'Zz Extra 2', 'Zz Extra 3', 'Zz Extra 4'\] and 2 more \(7\).*"
                                         r'Expected on-disk layout'):
        StanfordCarsFolder(data_root=str(tmp_path), split='test')
    # The name as written in names.csv ('/') is not the folder name: 'Ram C/V ...' must not match a folder 'Ram C_V'.
    write_stanford_cars(str(tmp_path / 'other'), names=SMALL_CARS)
    for split in ('train', 'test'):
        cars = tmp_path / 'other' / 'car_data' / 'car_data' / split
        (cars / 'Ram C-V Cargo Van Minivan 2012').rename(cars / 'Ram C_V Cargo Van Minivan 2012')
    with pytest.raises(ValueError, match=r"not in .*names\.csv: \['Ram C_V Cargo Van Minivan 2012'\] \(1\)"):
        StanfordCarsFolder(data_root=str(tmp_path / 'other'), split='train')


def test_stanford_cars_refuses_names_csv_classes_without_a_folder(tmp_path):
    # The SSB indexes all 196 classes: a class of names.csv without images is an incomplete dataset, not a smaller one.
    write_stanford_cars(str(tmp_path), names=SMALL_CARS)
    write_names(tmp_path, '\n'.join(SMALL_CARS + ['Zz Extra 0', 'Zz Extra 1']) + '\n')
    with pytest.raises(ValueError, match=r"(?s)classes of .*names\.csv without a folder in .*train: "
                                         r"\['Zz Extra 0', 'Zz Extra 1'\] \(2\).*Expected on-disk layout"):
        StanfordCarsFolder(data_root=str(tmp_path), split='train')


def test_stanford_cars_splits_must_have_the_same_class_folders(tmp_path):
    write_stanford_cars(str(tmp_path), names=SMALL_CARS, test_classes=[0, 2, 3])
    for split in ('train', 'test'):
        with pytest.raises(ValueError, match=r"same class folders.*Only in train/: \['Ram C-V Cargo Van Minivan "
                                             r"2012'\] \(1\); only in test/: \[\] \(0\)"):
            StanfordCarsFolder(data_root=str(tmp_path), split=split)
    # Without the other split there is nothing to compare with, but names.csv still asks for the missing class.
    import shutil
    shutil.rmtree(tmp_path / 'car_data' / 'car_data' / 'train')
    with pytest.raises(ValueError, match=r"without a folder in .*test: \['Ram C/V Cargo Van Minivan 2012'\]"):
        StanfordCarsFolder(data_root=str(tmp_path), split='test')
    write_names(tmp_path, '\n'.join(SMALL_CARS[i] for i in (0, 2, 3)))
    assert labels_and_paths(StanfordCarsFolder(data_root=str(tmp_path), split='test'))[0] == [0, 1, 2]


def test_imagenet21k_reads_only_the_asked_wnids(tmp_path, monkeypatch):
    wnids = ['n00000003', 'n00000001', 'n00000002']
    write_imagenet21k(str(tmp_path), wnids, per_class=2)
    (tmp_path / 'notes.txt').write_text('not a class')
    (tmp_path / 'n00000001' / 'readme.txt').write_text('not an image')
    import openmixosr.datasets.imagenet21k as module
    read = []
    monkeypatch.setattr(module, 'image_files', lambda folder, real=module.image_files: read.append(folder) or
                        real(folder))
    dataset = ImageNet21KFolder(data_root=str(tmp_path), wnids=['n00000003', 'n00000001'])
    assert dataset.metainfo['classes'] == ('n00000001', 'n00000003')  # sorted
    assert sorted(osp.basename(f) for f in read) == ['n00000001', 'n00000003']  # n00000002 not listed
    labels, paths = labels_and_paths(dataset)
    assert labels == [0, 0, 1, 1]
    assert [osp.basename(p) for p in paths] == ['n00000001_0.JPEG', 'n00000001_1.JPEG', 'n00000003_0.JPEG',
                                                 'n00000003_1.JPEG']
    every = ImageNet21KFolder(data_root=str(tmp_path))  # None: every sub-folder
    assert every.metainfo['classes'] == tuple(sorted(wnids)) and len(every) == 6


def test_imagenet21k_errors(tmp_path):
    write_imagenet21k(str(tmp_path), ['n00000001'])
    asked = ['n00000001'] + [f'n1000000{i}' for i in range(7)]
    with pytest.raises(FileNotFoundError, match=r"7 of the 8 requested wnid folders are missing, e.g. \['n10000000', "
                       r"'n10000001', 'n10000002', 'n10000003', 'n10000004'\]"):
        ImageNet21KFolder(data_root=str(tmp_path), wnids=asked)
    with pytest.raises(ValueError, match='twice'):
        ImageNet21KFolder(data_root=str(tmp_path), wnids=['n00000001', 'n00000001'])
    with pytest.raises(TypeError, match='list of WordNet id strings'):
        ImageNet21KFolder(data_root=str(tmp_path), wnids='n00000001')
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='no wnid sub-folder'):
        ImageNet21KFolder(data_root=str(empty))
