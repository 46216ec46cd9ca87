"""OpenSetDataset: relabelling, unknown samples, CIFAR+N, OOD pairs, offline behaviour and errors."""
import os.path as osp

import numpy as np
import pytest
from fake_data import CIFAR10_CLASSES

from openmixosr.datasets import DATA_LAYOUTS, OpenSetDataset
from openmixosr.registry import DATASETS


def cifar10(root, split='test'):
    return dict(type='OfflineCIFAR10', data_root=osp.join(root, 'cifar10'), split=split)


def cifar100(root, split='test'):
    return dict(type='OfflineCIFAR100', data_root=osp.join(root, 'cifar100'), split=split)


def infos(dataset):
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def labels(dataset):
    return np.array([info['gt_label'] for info in infos(dataset)])


def image_keys(images):
    return {image.tobytes() for image in images}


def test_known_labels_are_positions_in_the_known_list(fake_root):
    root, written = fake_root
    known = [2, 4, 7]
    dataset = OpenSetDataset(source=cifar10(root), known_classes=known, with_unknown=True)
    assert dataset.metainfo['classes'] == ('bird', 'deer', 'horse')
    original = written['cifar10']['test_labels']
    expected = np.array([known.index(c) if c in known else -1 for c in original])
    assert np.array_equal(labels(dataset), expected)  # 2 -> 0, 4 -> 1, 7 -> 2, others -> -1, source order kept
    assert (labels(dataset) == -1).sum() == 7 * 3
    for info, image in zip(infos(dataset), written['cifar10']['test_images']):
        assert np.array_equal(info['img'], image)  # samples keep their image


def test_published_split_train_has_no_unknown(fake_root):
    root, written = fake_root
    dataset = OpenSetDataset(source=cifar10(root, 'train'), benchmark='cifar10', osr_split=0)
    known = [0, 6, 4, 9, 1, 7]
    assert dataset.metainfo['classes'] == tuple(CIFAR10_CLASSES[c] for c in known)
    original = written['cifar10']['train_labels']
    keep = np.isin(original, known)
    assert np.array_equal(labels(dataset), [known.index(c) for c in original[keep]])
    assert len(dataset) == 6 * 5 and labels(dataset).min() == 0
    images = [info['img'] for info in infos(dataset)]
    assert np.array_equal(np.stack(images), written['cifar10']['train_images'][keep])


def test_published_split_test_marks_the_rest_unknown(fake_root):
    root, _ = fake_root
    dataset = OpenSetDataset(source=cifar10(root), benchmark='cifar10', osr_split=3, with_unknown=True)
    assert np.bincount(labels(dataset) + 1).tolist() == [4 * 3] + [3] * 6  # 4 unknown classes of 3 samples
    assert 'unknown_set' not in dataset.get_data_info(0)  # only datasets with named unknown sets carry the field


def test_metainfo_records_the_split(fake_root):
    root, _ = fake_root
    meta = OpenSetDataset(source=cifar10(root), benchmark='cifar10', osr_split=3, with_unknown=True).metainfo
    assert meta == dict(classes=('ship', 'frog', 'automobile', 'truck', 'airplane', 'horse'),
                        known_classes=(8, 6, 1, 9, 0, 7), benchmark='cifar10', osr_split=3, unknown_sets=())
    meta = OpenSetDataset(source=cifar10(root), known_classes=[2, 4]).metainfo
    assert (meta['known_classes'], meta['benchmark'], meta['osr_split']) == ((2, 4), None, 0)


def test_cifar_plus10_unknowns_come_only_from_listed_cifar100_classes(fake_root):
    root, written = fake_root
    dataset = OpenSetDataset(
        source=cifar10(root), benchmark='cifar+10', osr_split=1, unknown_source=cifar100(root))
    unknown_classes = [41, 9, 49, 40, 73, 60, 48, 30, 95, 71]
    assert dataset.unknown_classes == unknown_classes
    assert dataset.metainfo['classes'] == tuple(CIFAR10_CLASSES[c] for c in [6, 7, 1, 9])
    found = labels(dataset)
    assert (found >= 0).sum() == 4 * 3 and (found == -1).sum() == 10 * 2
    unknown_images = [info['img'] for info in infos(dataset) if info['gt_label'] == -1]
    c100 = written['cifar100']
    listed = np.isin(c100['test_labels'], unknown_classes)
    assert image_keys(unknown_images) == image_keys(c100['test_images'][listed])
    # None of the six other CIFAR-10 classes slipped in.
    c10 = written['cifar10']
    others = ~np.isin(c10['test_labels'], [6, 7, 1, 9])
    assert not image_keys(unknown_images) & image_keys(c10['test_images'][others])


def test_cifar_plus10_training_set_needs_no_unknown_source(fake_root):
    root, _ = fake_root
    dataset = OpenSetDataset(source=cifar10(root, 'train'), benchmark='cifar+10', osr_split=4)
    assert dataset.unknown_classes is None
    assert np.bincount(labels(dataset)).tolist() == [5] * 4  # classes [1, 0, 9, 8], 5 training images each


def test_cifar_plus50_takes_fifty_classes(fake_root):
    root, _ = fake_root
    dataset = OpenSetDataset(source=cifar10(root), benchmark='cifar+50', osr_split=0, unknown_source=cifar100(root))
    assert (labels(dataset) == -1).sum() == 50 * 2


def test_cifar_plus_refuses_cifar10_unknowns_and_custom_unknown_classes(fake_root):
    root, _ = fake_root
    with pytest.raises(ValueError, match='CIFAR-100'):
        OpenSetDataset(source=cifar10(root), benchmark='cifar+10', with_unknown=True, unknown_source=cifar100(root))
    with pytest.raises(ValueError, match='fixes the unknown classes'):
        OpenSetDataset(source=cifar10(root), benchmark='cifar+10', unknown_source=cifar100(root), unknown_classes=[0])


def test_ood_pair_keeps_all_source_classes(fake_root):
    root, written = fake_root
    dataset = OpenSetDataset(source=cifar10(root), unknown_source=cifar100(root))
    assert dataset.metainfo['classes'] == CIFAR10_CLASSES
    found = labels(dataset)
    assert np.array_equal(found[:30], written['cifar10']['test_labels'])  # identity labels, source order
    assert (found[30:] == -1).all() and len(found) == 30 + 200


def test_unknown_requested_but_empty_raises(fake_root):
    root, written = fake_root
    with pytest.raises(ValueError, match='none were found'):
        OpenSetDataset(source=cifar10(root), with_unknown=True)  # every class known
    # An unknown source cut to its first sample, filtered to another class, leaves no unknown either.
    other_class = (int(written['cifar100']['test_labels'][0]) + 1) % 100
    with pytest.raises(ValueError, match='none were found'):
        OpenSetDataset(source=cifar10(root), known_classes=[0], unknown_source=dict(cifar100(root), indices=[0]),
                       unknown_classes=[other_class])


def test_digits_through_the_registry():
    dataset = DATASETS.build(
        dict(type='OpenSetDataset', source=dict(type='Digits', split='test'), benchmark='mnist', osr_split=2,
             with_unknown=True))
    source = DATASETS.build(dict(type='Digits', split='test'))
    original = np.array([source.get_data_info(i)['gt_label'] for i in range(len(source))])
    known = [5, 8, 3, 2, 4, 6]
    assert np.array_equal(labels(dataset), [known.index(c) if c in known else -1 for c in original])
    assert dataset.metainfo['classes'] == ('5', '8', '3', '2', '4', '6')


def test_pack_inputs_pipeline_keeps_unknown_label(fake_root):
    root, written = fake_root
    dataset = OpenSetDataset(
        source=cifar10(root), known_classes=[3], with_unknown=True, pipeline=[dict(type='PackInputs')],
        test_mode=True)
    original = written['cifar10']['test_labels']
    unknown_index = int(np.flatnonzero(original != 3)[0])
    known_index = int(np.flatnonzero(original == 3)[0])
    packed = dataset[unknown_index]
    assert packed['data_samples'].gt_label.tolist() == [-1]
    assert packed['inputs'].shape == (3, 32, 32)
    assert np.array_equal(packed['inputs'].permute(1, 2, 0).numpy(), written['cifar10']['test_images'][unknown_index])
    assert dataset[known_index]['data_samples'].gt_label.tolist() == [0]


def test_argument_errors(fake_root):
    root, _ = fake_root
    source = cifar10(root)
    with pytest.raises(ValueError, match='not both'):
        OpenSetDataset(source=source, benchmark='cifar10', known_classes=[0, 1])
    with pytest.raises(ValueError, match='benchmark'):
        OpenSetDataset(source=source, benchmark='cifar11')
    with pytest.raises(ValueError, match='split index'):
        OpenSetDataset(source=source, benchmark='cifar10', osr_split=5)
    with pytest.raises(ValueError, match='needs `benchmark`'):
        OpenSetDataset(source=source, osr_split=3)
    with pytest.raises(ValueError, match='unknown_source'):
        OpenSetDataset(source=source, known_classes=[0], unknown_classes=[1])
    with pytest.raises(ValueError, match='out of range'):
        OpenSetDataset(source=source, known_classes=[0, 10])
    with pytest.raises(ValueError, match='duplicated'):
        OpenSetDataset(source=source, known_classes=[1, 1])
    with pytest.raises(ValueError, match='pipeline'):
        OpenSetDataset(source=dict(source, pipeline=[dict(type='PackInputs')]))
    with pytest.raises(KeyError, match='NoSuchDataset'):
        OpenSetDataset(source=dict(type='NoSuchDataset'))


MISSING = {
    'OfflineCIFAR10': dict(type='OfflineCIFAR10', split='test'),
    'OfflineCIFAR100': dict(type='OfflineCIFAR100', split='test'),
    'OfflineMNIST': dict(type='OfflineMNIST', split='test'),
    'SVHN': dict(type='SVHN', split='test'),
    'TinyImageNet': dict(type='TinyImageNet', split='val'),
    'CUB': dict(type='CUB', split='test'),
    'FGVCAircraft': dict(type='FGVCAircraft', split='test'),
    'StanfordCarsFolder': dict(type='StanfordCarsFolder', split='test'),
    'ImageNet21KFolder': dict(type='ImageNet21KFolder'),
}


@pytest.mark.parametrize('name', sorted(MISSING))
@pytest.mark.parametrize('root_exists', [False, True])
def test_missing_data_names_dataset_path_and_layout(tmp_path, name, root_exists):
    data_root = tmp_path / 'data' / name.lower()
    if root_exists:
        data_root.mkdir(parents=True)
    with pytest.raises(FileNotFoundError) as error:
        OpenSetDataset(source=dict(MISSING[name], data_root=str(data_root)))
    message = str(error.value)
    assert name in message and str(data_root) in message
    assert DATA_LAYOUTS[name].splitlines()[1] in message  # the layout tree
    assert 'never downloads' in message


def test_missing_file_inside_an_existing_cub_root_shows_the_layout(tmp_path, ssb_root):
    import shutil
    root, _ = ssb_root
    for name in ('images.txt', 'image_class_labels.txt', 'train_test_split.txt'):
        shutil.copy(osp.join(root, 'CUB_200_2011', name), tmp_path / name)
    (tmp_path / 'image_class_labels.txt').unlink()
    with pytest.raises(FileNotFoundError, match=r'(?s)CUB data not found.*images.txt.*image_class_labels.txt.*'
                       r'The loader reported: .*image_class_labels.txt'):
        OpenSetDataset(source=dict(type='CUB', data_root=str(tmp_path), split='test'), benchmark='ssb_cub')


def test_no_download_is_ever_attempted(tmp_path, monkeypatch):
    import mmpretrain.datasets.cifar
    import mmpretrain.datasets.mnist

    def fail(*args, **kwargs):
        raise AssertionError('a download was attempted')

    monkeypatch.setattr(mmpretrain.datasets.cifar, 'download_and_extract_archive', fail)
    monkeypatch.setattr(mmpretrain.datasets.mnist, 'download_and_extract_archive', fail)
    empty = str(tmp_path)
    # Ours, and mmpretrain's own classes whose `download` defaults to True: all report missing files instead.
    for source in (dict(type='OfflineCIFAR10', data_root=empty), dict(type='CIFAR10', data_root=empty),
                   dict(type='MNIST', data_root=empty), dict(type='FashionMNIST', data_root=empty)):
        with pytest.raises(FileNotFoundError, match='never downloads'):
            OpenSetDataset(source=source)
    with pytest.raises(ValueError, match='never downloads'):
        OpenSetDataset(source=dict(type='mmpretrain.CIFAR10', data_root=empty, download=True))


def test_annotation_files_without_their_images_are_refused_at_build(tmp_path):
    """A CUB root with its annotation files but no images fails when the dataset is built, showing the layout."""
    import shutil

    from openmixosr.datasets import OpenSetDataset
    from tests.helpers.ssb_data import fake_data
    root = tmp_path / 'CUB_200_2011'
    fake_data.write_cub(str(root))
    shutil.rmtree(root / 'images')
    with pytest.raises(FileNotFoundError, match=r'(?s)CUB data not found.*Expected on-disk layout.*are the images '
                                                r'extracted next to the annotation files'):
        OpenSetDataset(source=dict(type='CUB', data_root=str(root), split='train'), benchmark='ssb_cub')
