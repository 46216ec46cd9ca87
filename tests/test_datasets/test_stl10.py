"""STL-10 read from tiny fake files in the official binary layout: orientation, labels, splits, errors, laziness."""
import copy
import os
import pickle

import numpy as np
import pytest
import torch
from fake_data import write_stl10
from mmengine.dataset import pseudo_collate

from openmixosr.datasets import DATA_LAYOUTS, STL10, OpenSetDataset
from openmixosr.datasets.stl10 import STL10_CLASSES
from openmixosr.registry import DATASETS

IMAGE_BYTES = 3 * 96 * 96


def stl10(root, split='train', **kwargs):
    """STL10 without serialization unless asked: mmengine's serialization runs a full ``gc.collect()`` (~0.2 s)."""
    kwargs.setdefault('serialize_data', False)
    return STL10(data_root=root, split=split, **kwargs)


@pytest.fixture
def stl10_root(tmp_path):
    """(data_root, written arrays): 10 train and 20 test images (balanced classes), 3 unlabeled."""
    root = tmp_path / 'stl10_binary'
    written = write_stl10(str(root), train_per_class=1, test_per_class=2, num_unlabeled=3)
    return str(root), written


def images_and_labels(dataset):
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    return np.stack([info['img'] for info in infos]), np.array([info['gt_label'] for info in infos])


def test_registered_with_the_stl10_classes():
    assert DATASETS.get('STL10') is STL10
    assert STL10.METAINFO['classes'] == STL10_CLASSES
    assert STL10_CLASSES == ('airplane', 'bird', 'car', 'cat', 'deer', 'dog', 'horse', 'monkey', 'ship', 'truck')


def test_pixel_offsets_of_the_official_layout(tmp_path):
    """Hand-placed bytes: within a channel plane of the file, byte ``w * 96 + h`` is pixel (row h, column w)."""
    raw = np.zeros(IMAGE_BYTES, dtype=np.uint8)
    raw[0 * 96 * 96 + 5 * 96 + 2] = 200  # red, row 2, column 5
    raw[2 * 96 * 96 + 1 * 96 + 90] = 77  # blue, row 90, column 1
    raw.tofile(tmp_path / 'train_X.bin')
    np.array([3], dtype=np.uint8).tofile(tmp_path / 'train_y.bin')
    info = stl10(str(tmp_path)).get_data_info(0)
    image = info['img']
    assert image.shape == (96, 96, 3) and image.dtype == np.uint8
    assert image[2, 5, 0] == 200 and image[90, 1, 2] == 77
    assert int(image.sum()) == 277  # nothing else set
    assert info['gt_label'] == 2  # label byte 3 -> class 2 ('car')
    # The reading recipe of the STL-10 authors gives the same image.
    reference = np.fromfile(tmp_path / 'train_X.bin', np.uint8).reshape(-1, 3, 96, 96).transpose(0, 3, 2, 1)
    assert np.array_equal(image, reference[0])


@pytest.mark.parametrize('split', ['train', 'test'])
def test_labelled_splits_round_trip(stl10_root, split):
    root, written = stl10_root
    dataset = stl10(root, split)
    images, labels = images_and_labels(dataset)
    assert len(dataset) == len(written[f'{split}_labels'])
    assert np.array_equal(images, written[f'{split}_images'])  # upright HWC, same pixels, file order
    assert np.array_equal(labels, written[f'{split}_labels'])  # bytes 1..10 -> 0..9
    assert labels.min() == 0 and labels.max() == 9
    assert np.array_equal(dataset.get_gt_labels(), written[f'{split}_labels'])
    assert dataset.metainfo['classes'] == STL10_CLASSES


def test_fetched_image_is_a_contiguous_private_copy(stl10_root):
    root, written = stl10_root
    dataset = stl10(root, 'train')
    image = dataset.get_data_info(1)['img']
    assert type(image) is np.ndarray and image.flags['C_CONTIGUOUS'] and image.flags['WRITEABLE']
    image[:] = 0
    assert np.array_equal(dataset.get_data_info(1)['img'], written['train_images'][1])


def test_unlabeled_and_train_plus_unlabeled(stl10_root):
    root, written = stl10_root
    unlabeled = stl10(root, 'unlabeled')
    images, labels = images_and_labels(unlabeled)
    assert np.array_equal(images, written['unlabeled_images'])
    assert labels.tolist() == [-1, -1, -1]
    assert unlabeled.get_gt_labels().tolist() == [-1, -1, -1] and unlabeled.get_cat_ids(0) == [-1]

    both = stl10(root, 'train+unlabeled', serialize_data=True)
    images, labels = images_and_labels(both)
    assert len(both) == 10 + 3
    assert np.array_equal(images, np.concatenate([written['train_images'], written['unlabeled_images']]))
    assert labels.tolist() == written['train_labels'].tolist() + [-1, -1, -1]
    assert [both.get_data_info(i)['stl10_index'] for i in (0, 9, 10, 12)] == [('train', 0), ('train', 9),
                                                                           ('unlabeled', 0), ('unlabeled', 2)]


def test_bad_split(stl10_root):
    root, _ = stl10_root
    for split in ('val', 'unlabelled', 'train+test'):
        with pytest.raises(ValueError, match='split'):
            STL10(data_root=root, split=split)


@pytest.mark.parametrize('split, name', [('train', 'train_X.bin'), ('train', 'train_y.bin'), ('test', 'test_y.bin'),
                                         ('unlabeled', 'unlabeled_X.bin'), ('train+unlabeled', 'unlabeled_X.bin')])
def test_missing_file_names_path_and_layout(stl10_root, split, name):
    root, _ = stl10_root
    path = os.path.join(root, name)
    os.remove(path)
    with pytest.raises(FileNotFoundError) as error:
        STL10(data_root=root, split=split)
    message = str(error.value)
    assert repr(path) in message and 'STL10' in message
    assert 'unlabeled_X.bin' in message and DATA_LAYOUTS['STL10'].splitlines()[1] in message  # the layout tree
    assert 'never downloads' in message


def test_only_the_files_of_the_split_are_needed(stl10_root):
    root, _ = stl10_root
    os.remove(os.path.join(root, 'unlabeled_X.bin'))
    os.remove(os.path.join(root, 'train_y.bin'))
    os.remove(os.path.join(root, 'class_names.txt'))
    assert len(stl10(root, 'test')) == 20


@pytest.mark.parametrize('wrapped', [False, True])
def test_missing_root(tmp_path, wrapped):
    root = str(tmp_path / 'data' / 'stl10' / 'stl10_binary')
    with pytest.raises(FileNotFoundError) as error:
        if wrapped:
            OpenSetDataset(source=dict(type='STL10', data_root=root, split='test'))
        else:
            STL10(data_root=root, split='test')
    assert repr(root) in str(error.value) and DATA_LAYOUTS['STL10'].splitlines()[1] in str(error.value)


@pytest.mark.parametrize('bad', [0, 11, 255])
def test_labels_out_of_range(stl10_root, bad):
    root, written = stl10_root
    labels = written['train_labels'] + 1
    labels[4] = bad
    labels.astype(np.uint8).tofile(os.path.join(root, 'train_y.bin'))
    with pytest.raises(ValueError, match=r'train_y\.bin.*1\.\.10'):
        STL10(data_root=root, split='train')


def test_label_count_must_match_images(stl10_root):
    root, written = stl10_root
    (written['test_labels'][:-1] + 1).astype(np.uint8).tofile(os.path.join(root, 'test_y.bin'))
    with pytest.raises(ValueError, match=r'test_y\.bin holds 19 labels but test_X\.bin holds 20 images'):
        STL10(data_root=root, split='test')


@pytest.mark.parametrize('size', [IMAGE_BYTES * 2 + 100, IMAGE_BYTES - 1, 0])
def test_truncated_image_file(stl10_root, size):
    root, _ = stl10_root
    path = os.path.join(root, 'unlabeled_X.bin')
    with open(path, 'r+b') as f:
        f.truncate(size)
    for split in ('unlabeled', 'train+unlabeled'):
        with pytest.raises(ValueError, match='unlabeled_X.bin') as error:
            STL10(data_root=root, split=split)
        assert str(IMAGE_BYTES) in str(error.value)


def test_images_are_memory_mapped_and_read_one_at_a_time(stl10_root, monkeypatch):
    root, written = stl10_root
    fromfile = np.fromfile

    def no_whole_image_file(file, *args, **kwargs):
        assert not str(file).endswith('_X.bin'), f'{file} was read whole'
        return fromfile(file, *args, **kwargs)

    monkeypatch.setattr(np, 'fromfile', no_whole_image_file)
    dataset = stl10(root, 'train+unlabeled')
    assert all(set(info) == {'gt_label', 'stl10_index'} for info in dataset.data_list)  # no pixels up front
    assert np.array_equal(dataset.get_data_info(11)['img'], written['unlabeled_images'][1])
    maps = dataset._memmaps._maps
    assert set(os.path.basename(path) for path in maps) == {'unlabeled_X.bin'}  # only the file that was needed
    assert all(isinstance(array, np.memmap) for array in maps.values())

    def no_image(*args):
        raise AssertionError('an image was read')

    monkeypatch.setattr(dataset, 'read_image', no_image)
    assert dataset.get_gt_labels().tolist() == written['train_labels'].tolist() + [-1] * 3  # labels only
    assert dataset.get_cat_ids(3) == [int(written['train_labels'][3])]


@pytest.mark.parametrize('serialize_data', [True, False])
def test_pickled_dataset_carries_no_pixels(stl10_root, serialize_data):
    root, written = stl10_root
    dataset = STL10(data_root=root, split='train+unlabeled', serialize_data=serialize_data)
    expected = np.concatenate([written['train_images'], written['unlabeled_images']])
    for index in range(len(dataset)):  # map the files in this process first
        dataset.get_data_info(index)
    buffer = pickle.dumps(dataset)
    assert len(buffer) < IMAGE_BYTES // 2  # 13 images are 359 kB; the dataset pickles to a few kB
    for clone in (pickle.loads(buffer), copy.deepcopy(dataset)):
        images, labels = images_and_labels(clone)
        assert np.array_equal(images, expected)
        assert np.array_equal(labels, dataset.get_gt_labels())
    subset = dataset.get_subset([12, 0])
    assert len(pickle.dumps(subset)) < IMAGE_BYTES // 2
    assert np.array_equal(images_and_labels(subset)[0], expected[[12, 0]])


@pytest.mark.parametrize('serialize_data', [True, False])
def test_indices(stl10_root, serialize_data):
    root, written = stl10_root
    picked = STL10(data_root=root, split='test', indices=[7, 2, 19], serialize_data=serialize_data)
    images, labels = images_and_labels(picked)
    assert np.array_equal(images, written['test_images'][[7, 2, 19]])
    assert np.array_equal(labels, written['test_labels'][[7, 2, 19]])
    assert np.array_equal(picked.get_gt_labels(), written['test_labels'][[7, 2, 19]])
    first = STL10(data_root=root, split='train+unlabeled', indices=4, serialize_data=serialize_data)
    assert np.array_equal(images_and_labels(first)[0], written['train_images'][:4])


def test_mmpretrain_pipeline(stl10_root):
    root, written = stl10_root
    pipeline = [dict(type='RandomResizedCrop', scale=32), dict(type='PackInputs')]
    dataset = stl10(root, 'train+unlabeled', pipeline=pipeline)
    sample = dataset[2]
    assert sample['inputs'].shape == (3, 32, 32) and sample['inputs'].dtype == torch.uint8
    assert sample['data_samples'].gt_label.tolist() == [int(written['train_labels'][2])]
    assert dataset[11]['data_samples'].gt_label.tolist() == [-1]
    # Without augmentation the packed tensor is the image itself, channels first.
    packed = stl10(root, 'test', pipeline=[dict(type='PackInputs')])[5]['inputs']
    assert np.array_equal(packed.numpy(), written['test_images'][5].transpose(2, 0, 1))


def test_dataloader_workers(stl10_root):
    root, written = stl10_root
    dataset = STL10(data_root=root, split='train+unlabeled')
    dataset.get_data_info(0)  # the parent has its own maps; the workers must open theirs
    loader = torch.utils.data.DataLoader(dataset, batch_size=4, num_workers=2, collate_fn=pseudo_collate)
    expected = np.concatenate([written['train_images'], written['unlabeled_images']])
    seen = []
    for batch in loader:
        for index, image, label in zip(batch['sample_idx'], batch['img'], batch['gt_label']):
            assert np.array_equal(image, expected[index])
            assert label == (written['train_labels'][index] if index < 10 else -1)
            seen.append(int(index))
    assert seen == list(range(13))


def test_open_set_wrapping(stl10_root):
    root, written = stl10_root
    known = [7, 0, 3]
    dataset = OpenSetDataset(
        source=dict(type='STL10', data_root=root, split='test'), known_classes=known, with_unknown=True,
        pipeline=[dict(type='PackInputs')], serialize_data=False)
    assert dataset.metainfo['classes'] == ('monkey', 'airplane', 'cat')
    original = written['test_labels']
    expected = [known.index(c) if c in known else -1 for c in original]
    assert dataset.get_gt_labels().tolist() == expected
    for index in range(len(dataset)):
        assert np.array_equal(dataset.get_data_info(index)['img'], written['test_images'][index])
    assert dataset[0]['inputs'].shape == (3, 96, 96)
    # A training set: the known classes only, relabelled.
    train = OpenSetDataset(
        source=dict(type='STL10', data_root=root, split='train'), known_classes=known, serialize_data=False)
    assert sorted(train.get_gt_labels().tolist()) == [0, 1, 2]
