"""apply_osr_split: the top-level split reaches every dataset, and only integers are accepted."""
import pytest
from mmengine.config import Config

from openmixosr.utils import apply_osr_split


def _config(split):
    return Config(dict(
        split=split,
        train_dataloader=dict(dataset=dict(type='OpenSetDataset', osr_split=0, source=dict(split='train'))),
        val_dataloader=dict(dataset=dict(type='ConcatDataset', datasets=[dict(osr_split=0), dict(osr_split=0)])),
    ))


def test_split_reaches_nested_datasets_and_leaves_source_split_alone():
    cfg = apply_osr_split(_config(3))
    assert cfg.train_dataloader.dataset.osr_split == 3
    assert [d.osr_split for d in cfg.val_dataloader.dataset.datasets] == [3, 3]
    assert cfg.train_dataloader.dataset.source.split == 'train'


@pytest.mark.parametrize('bad', ['3', 1.0, True])
def test_non_integer_split_is_refused(bad):
    with pytest.raises(TypeError, match='split'):
        apply_osr_split(_config(bad))
