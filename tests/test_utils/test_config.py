"""apply_osr_split: the top-level split reaches every dataset, and only integers are accepted.

merge_cfg_options / apply_data_roots: a top-level data root given with --cfg-options reaches every dataset that copied
it, or is refused with the keys to set.

apply_pretrained: a linear-evaluation config loads its backbone from the top-level `pretrained` checkpoint.
"""
import pytest
from mmengine.config import Config

from openmixosr.utils import apply_osr_split, apply_pretrained, merge_cfg_options


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


def _linear_config(pretrained):
    cfg = Config(dict(model=dict(type='OpenSetClassifier', backbone=dict(type='ResNet_CIFAR', depth=18))))
    if pretrained is not None:
        cfg.pretrained = str(pretrained)
    return cfg


def test_pretrained_checkpoint_becomes_the_backbone_init_cfg(tmp_path):
    checkpoint = tmp_path / 'epoch_1.pth'
    checkpoint.write_bytes(b'')  # only its existence is checked here; loading is tested end to end
    cfg = _linear_config(checkpoint)
    assert apply_pretrained(cfg) is cfg
    # prefix: the self-supervised checkpoint holds the whole MoCo model, the linear backbone takes `backbone.*` only.
    assert cfg.model.backbone.init_cfg == dict(type='SafePretrained', checkpoint=str(checkpoint), prefix='backbone.')
    assert cfg.model.backbone.type == 'ResNet_CIFAR' and cfg.model.backbone.depth == 18
    # mmpretrain's ResNet re-zeroes the last BN of each block after loading unless the init type is 'Pretrained'.
    assert cfg.model.backbone.zero_init_residual is False


def test_missing_pretrained_checkpoint_names_the_path_and_the_pretraining_command(tmp_path):
    missing = tmp_path / 'work_dirs' / 'amix_i_r18w16_digits' / 'epoch_100.pth'
    cfg = _linear_config(missing)
    with pytest.raises(FileNotFoundError) as error:
        apply_pretrained(cfg)
    assert str(missing) in str(error.value) and 'tools/train.py' in str(error.value)
    assert 'init_cfg' not in cfg.model.backbone


def test_pretrained_directory_is_not_a_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError):
        apply_pretrained(_linear_config(tmp_path))


@pytest.mark.parametrize('set_to_none', [False, True], ids=['no key', 'pretrained=None'])
def test_config_without_pretrained_is_unchanged(set_to_none):
    cfg = _linear_config(None)
    if set_to_none:
        cfg.pretrained = None  # e.g. --cfg-options pretrained=None: train the backbone from scratch
    before = cfg.to_dict()
    assert apply_pretrained(cfg) is cfg
    assert cfg.to_dict() == before


def test_cfg_options_pick_another_checkpoint(tmp_path):
    # linear_eval_table.py passes `--cfg-options pretrained=...`: the override, not the config's default, is loaded.
    default, other = tmp_path / 'default.pth', tmp_path / 'other.pth'
    other.write_bytes(b'')
    cfg = _linear_config(default)
    cfg.merge_from_dict({'pretrained': str(other)})
    apply_pretrained(cfg)
    assert cfg.model.backbone.init_cfg.checkpoint == str(other)


def test_cfg_options_with_an_unknown_top_level_key_are_refused():
    from openmixosr.utils import check_cfg_options
    cfg = _config(0)
    check_cfg_options(cfg, ['split', 'train_dataloader.dataset.osr_split', 'load_from', 'randomness.seed'])
    with pytest.raises(ValueError, match="Did you mean 'split'"):
        check_cfg_options(cfg, ['splt'])
    with pytest.raises(ValueError, match="'pretrained' is not a top-level key"):
        check_cfg_options(cfg, ['pretrained'])  # only linear-evaluation configs read it


def _rooted_config():
    """What a CIFAR+10 config is after parsing: the datasets hold copies of `data_root` and `unknown_data_root`."""
    def open_set(**unknown):
        return dict(type='OpenSetDataset', source=dict(type='OfflineCIFAR10', data_root='data/cifar10'), **unknown)

    unknown = dict(unknown_source=dict(type='OfflineCIFAR100', data_root='data/cifar100'))
    return Config(dict(data_root='data/cifar10', unknown_data_root='data/cifar100', split=0,
                       train_dataloader=dict(dataset=open_set()), val_dataloader=dict(dataset=open_set(**unknown)),
                       test_dataloader=dict(dataset=open_set(**unknown))))


def _roots(cfg):
    return [(cfg[loader].dataset.source.data_root, cfg[loader].dataset.get('unknown_source', {}).get('data_root'))
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]


def test_data_root_option_reaches_every_dataset_that_copied_it():
    # `--cfg-options data_root=/elsewhere` changed the top-level variable only: the loaders still read data/...
    cfg = merge_cfg_options(_rooted_config(), {'data_root': '/scratch/cifar10'})
    assert _roots(cfg) == [('/scratch/cifar10', None), ('/scratch/cifar10', 'data/cifar100'),
                           ('/scratch/cifar10', 'data/cifar100')]
    cfg = merge_cfg_options(_rooted_config(), {'unknown_data_root': '/scratch/c100'})
    assert _roots(cfg) == [('data/cifar10', None)] + [('data/cifar10', '/scratch/c100')] * 2
    # A dataset key set on the command line wins over the variable it was copied from.
    cfg = merge_cfg_options(_rooted_config(), {'data_root': '/a', 'val_dataloader.dataset.source.data_root': '/b'})
    assert [source for source, _ in _roots(cfg)] == ['/a', '/b', '/a']


def test_a_data_root_option_that_would_be_ignored_is_refused():
    cfg = _rooted_config()
    cfg.train_dataloader.dataset.source.data_root = 'data/other'  # no dataset copies unknown_data_root's value...
    cfg.val_dataloader.dataset.unknown_source.data_root = cfg.test_dataloader.dataset.unknown_source.data_root = 'x'
    with pytest.raises(ValueError, match=r'no dataset of this config reads its data from the top-level '
                                         r'`unknown_data_root`.*train_dataloader.dataset.source.data_root, '
                                         r'val_dataloader.dataset.source.data_root'):
        merge_cfg_options(cfg, {'unknown_data_root': '/scratch/c100'})
    same = _rooted_config()
    same.unknown_data_root = 'data/cifar10'  # two variables with one value: which one a dataset copied is unknown
    with pytest.raises(ValueError, match=r"the top-level \['unknown_data_root'\] hold the same value 'data/cifar10'.*"
                                         r'Set the datasets\' own keys instead: train_dataloader.dataset.source'):
        merge_cfg_options(same, {'data_root': '/scratch/cifar10'})


@pytest.mark.parametrize('cuda', [False, True])
def test_tools_pin_memory_only_with_a_gpu(monkeypatch, cuda):
    # The real-data configs pin their batches for the copy to a GPU; without one the tools turn it off (torch would
    # warn and ignore it) and a distributed run uses gloo.
    import torch

    from openmixosr.utils import merge_tool_args
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: cuda)
    loader = dict(batch_size=2, pin_memory=True)
    cfg = Config(dict(train_dataloader=loader, val_dataloader=loader, test_dataloader=dict(loader, pin_memory=False),
                      env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    merge_tool_args(cfg, 'configs/x.py', None, 'pytorch', None)
    assert [cfg[name].pin_memory for name in ('train_dataloader', 'val_dataloader', 'test_dataloader')] == [
        cuda, cuda, False]
    assert cfg.env_cfg.dist_cfg.backend == ('nccl' if cuda else 'gloo')
