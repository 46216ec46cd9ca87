"""SourceDataset: the split check and constructor that every source dataset read from official files shares."""
import os.path as osp
import re

import pytest

from openmixosr.datasets import STL10, SVHN, Digits, OfflineMNIST, SourceDataset, TinyImageNet


class ToySource(SourceDataset):
    """Three splits and an alias; the data list (four image files of data_root) records the split it was asked for."""

    SPLITS = ('train', 'val', 'test')
    SPLIT_ALIASES = {'dev': 'val'}

    def load_data_list(self):
        return [dict(img_path=osp.join(self.data_root, f'{self.split}_{i}.png'), gt_label=i) for i in range(4)]


@pytest.mark.parametrize('cls, split, message', [
    (SVHN, 'val', "SVHN split must be 'train' or 'test', got 'val'"),
    (OfflineMNIST, 'valid', "OfflineMNIST split must be 'train' or 'test', got 'valid'"),
    (Digits, 'val', "Digits split must be 'train' or 'test', got 'val'"),
    (TinyImageNet, 'train+val', "TinyImageNet split must be 'train', 'val' or 'test' (= 'val'), got 'train+val'"),
    (STL10, 'unlabelled', "STL10 split must be 'train', 'test', 'unlabeled' or 'train+unlabeled', got 'unlabelled'"),
])
def test_unknown_split_names_the_class_and_every_accepted_split(tmp_path, cls, split, message):
    kwargs = {} if cls is Digits else dict(data_root=str(tmp_path))
    with pytest.raises(ValueError, match=f'^{re.escape(message)}$'):
        cls(split=split, **kwargs)  # raised before any file is looked for: tmp_path is empty


def test_aliases_resolve_to_their_split():
    assert TinyImageNet.resolve_split('test') == 'val'
    assert TinyImageNet.resolve_split('val') == 'val'
    assert STL10.resolve_split('train+unlabeled') == 'train+unlabeled'
    assert ToySource.resolve_split('dev') == 'val'


def test_subclass_gets_split_and_the_base_dataset_arguments(tmp_path):
    for i in range(4):
        (tmp_path / f'val_{i}.png').write_bytes(b'image')  # the listed files must be there (check_image_files)
    dataset = ToySource(data_root=str(tmp_path), split='dev', indices=[3, 1], serialize_data=False)
    assert dataset.split == 'val'
    assert [osp.basename(dataset.get_data_info(i)['img_path']) for i in range(len(dataset))] == ['val_3.png',
                                                                                                  'val_1.png']
    assert dataset.data_root == str(tmp_path)
    assert dataset.extra_repr() == [f'Data root: \t{tmp_path}', 'Split: \tval']
    with pytest.raises(ValueError, match=r"^ToySource split must be 'train', 'val', 'test' or 'dev' \(= 'val'\)"):
        ToySource(data_root=str(tmp_path), split='eval')


def test_options_a_source_does_not_have_are_refused(tmp_path):
    # Forwarded keyword arguments reach SourceDataset's explicit signature: an unknown one is a TypeError, not ignored.
    with pytest.raises(TypeError, match='download'):
        OfflineMNIST(data_root=str(tmp_path), download=True)
    with pytest.raises(TypeError, match='data_root'):
        Digits(data_root=str(tmp_path))
    with pytest.raises(TypeError, match='metainfo'):
        STL10(data_root=str(tmp_path), metainfo=dict(classes=('a', 'b')))


def test_digits_repr_has_no_empty_data_root():
    assert Digits(split='test', indices=3).extra_repr() == ['Split: \ttest']
