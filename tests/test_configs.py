"""Every config in the repository builds; the CPU-sized ones train a few iterations.

Three kinds of config: supervised classifiers (open-set heads), self-supervised pre-training (MoCo v2 and AMix-I /
AMix-C on it: no head with classes, no validation) and linear evaluation (a classifier on a frozen backbone that comes
from a pre-training checkpoint named by the top-level ``pretrained``).
"""
import copy
import functools
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from torch.nn.modules.batchnorm import _BatchNorm

from openmixosr.engine import build_runner
from openmixosr.registry import MODELS

CONFIG_ROOT = Path(__file__).resolve().parents[1] / 'configs'
# configs/experiments/ holds experiment manifests (which configs form a table), not configs of a run
CONFIGS = sorted(path for path in CONFIG_ROOT.rglob('*.py')
                 if '_base_' not in path.parts and 'experiments' not in path.parts)
DIGITS_CONFIGS = [path for path in CONFIGS if path.stem.endswith('_digits') or
                  (path.stem.startswith('r18_digits_') and path.stem.endswith('_mask'))]
SELFSUP_TYPES = ('MoCo', 'MoCoAMix', 'MoCoAMixCluster')
AMIX_SELFSUP_TYPES = ('MoCoAMix', 'MoCoAMixCluster')
MOMENTUM_PIPELINE_TYPES = ('AutoMix', *AMIX_SELFSUP_TYPES)  # their momentum encoder moves only by the hook


@functools.lru_cache(maxsize=None)
def _read_config(path: str) -> Config:
    return Config.fromfile(path)


def cached_config(path) -> Config:
    """``Config.fromfile(path)``, read once per test process (a copy each call: tests change what they load)."""
    return copy.deepcopy(_read_config(str(path)))


def _config_id(path: Path) -> str:
    return str(path.relative_to(CONFIG_ROOT))


def _is_selfsup(cfg) -> bool:
    return cfg.model.type in SELFSUP_TYPES


def _is_linear_eval(config_path: Path) -> bool:
    return 'linear_eval' in config_path.parts


def _input_size(config_path: Path) -> int:
    return 16 if 'digits' in config_path.stem else 64 if 'tiny' in config_path.stem else 32


def _hook_types(cfg) -> list:
    """Types of the hooks a config registers: the non-None values of ``default_hooks``, then ``custom_hooks``."""
    default_hooks = [hook for hook in (cfg.get('default_hooks') or {}).values() if hook is not None]
    return [hook['type'] for hook in [*default_hooks, *cfg.get('custom_hooks', [])]]


def _missing_required_hooks(cfg, model_class=None) -> list:
    """The hooks that the config's model class declares in ``required_hooks`` but the config does not register.

    Args:
        cfg (Config): A full config.
        model_class (type, optional): The model class; defaults to ``cfg.model.type`` looked up in MODELS.
    """
    model_class = model_class or MODELS.get(cfg.model.type)
    required = getattr(model_class, 'required_hooks', ())
    if isinstance(required, property):  # depends on the model's settings: checked on the built model (below)
        return []
    registered = _hook_types(cfg)
    return [hook for hook in required if hook not in registered]


def test_every_config_registers_the_hooks_its_model_requires():
    # A momentum model trained without MomentumPipelineHook keeps a frozen random momentum encoder, with no error.
    # MMEngine replaces a `custom_hooks` list but merges `default_hooks` by key: the hooks live there.
    missing, without_pipeline, with_custom_hooks = {}, [], []
    for config_path in CONFIGS:
        cfg = cached_config(config_path)
        if _missing_required_hooks(cfg):
            missing[_config_id(config_path)] = _missing_required_hooks(cfg)
        pipeline = cfg.default_hooks.get('momentum_pipeline')
        if cfg.model.type in MOMENTUM_PIPELINE_TYPES and (pipeline or {}).get('type') != 'MomentumPipelineHook':
            without_pipeline.append(_config_id(config_path))
        if cfg.custom_hooks:
            with_custom_hooks.append(_config_id(config_path))
    assert not missing, f'configs without the hooks their model requires: {missing}'
    assert not without_pipeline, f'momentum models without default_hooks.momentum_pipeline: {without_pipeline}'
    assert not with_custom_hooks, f'hooks belong in default_hooks (merged by key): {with_custom_hooks}'


def test_every_config_states_the_total_batch_its_learning_rate_is_for():
    # tools/train.py refuses a run whose total batch (processes x batch_size) is not auto_scale_lr.base_batch_size
    # unless the learning rate is scaled (--auto-scale-lr) or the user says so (--allow-batch-change): each config's
    # base is the recipe's total batch, the batch its learning rate is for, which one process runs.
    wrong = {}
    for config_path in CONFIGS:
        cfg = cached_config(config_path)
        base = (cfg.get('auto_scale_lr') or {}).get('base_batch_size')
        if base != cfg.train_dataloader.batch_size or (cfg.get('auto_scale_lr') or {}).get('enable'):
            wrong[_config_id(config_path)] = (base, cfg.train_dataloader.batch_size)
    assert not wrong, f'configs whose auto_scale_lr.base_batch_size is not their batch (base, batch): {wrong}'


def test_required_hooks_check_can_fail():
    cfg = cached_config(CONFIG_ROOT / 'selfsup' / 'amix_c_r18w16_digits.py')
    cfg.default_hooks.cluster_assignment = None  # what a variant config may write by mistake

    class NeedsClusterAssignment:
        required_hooks = ('MomentumPipelineHook', 'ClusterAssignmentHook')

    assert _missing_required_hooks(cfg, NeedsClusterAssignment) == ['ClusterAssignmentHook']
    cfg.custom_hooks = [dict(type='ClusterAssignmentHook')]  # a hook registered as a custom hook counts too
    assert _missing_required_hooks(cfg, NeedsClusterAssignment) == []
    assert _missing_required_hooks(cfg, object) == []  # a model that requires nothing


def _check_selfsup_config(cfg, config_path):
    """Pre-training: two views, no labels, no validation; the queue takes whole batches; the hooks AMix needs."""
    assert cfg.data_preprocessor.type == 'SelfSupDataPreprocessor'
    assert 'num_classes' not in cfg.data_preprocessor
    assert cfg.get('val_dataloader') is None and cfg.get('val_cfg') is None, 'pre-training has no validation loop'
    loader = cfg.train_dataloader
    assert loader.drop_last, "MoCo's queue takes whole batches only"
    assert cfg.model.queue_len % loader.batch_size == 0, (cfg.model.queue_len, loader.batch_size)
    views = [t for t in loader.dataset.pipeline if t['type'] == 'MultiView']
    assert len(views) == 1 and views[0]['num_views'] == 2
    hooks = _hook_types(cfg)
    if cfg.model.type in AMIX_SELFSUP_TYPES:
        # The momentum encoder of AMix is updated by this hook only: without it k would never move; its Mix Block's
        # mask-loss weight by the one mask-loss schedule.
        assert hooks.count('MomentumPipelineHook') == 1 and hooks.count('MaskLossScheduleHook') == 1
    else:
        assert 'MomentumPipelineHook' not in hooks  # MoCo updates its momentum encoder itself
        assert 'MaskLossScheduleHook' not in hooks
    assert hooks.count('ClusterAssignmentHook') == (cfg.model.type == 'MoCoAMixCluster')


def _check_selfsup_model(model, cfg, config_path):
    with torch.no_grad():
        model.eval()
        size = _input_size(config_path)
        feats = model(torch.randn(2, 3, size, size), mode='tensor')
    # mode='tensor' gives the backbone features (what linear evaluation builds on), not logits.
    assert isinstance(feats, tuple) and len(feats) == len(cfg.model.backbone.out_indices)
    assert feats[-1].dim() == 4 and feats[-1].shape[:2] == (2, cfg.model.neck.in_channels)


def _pretraining_config(cfg) -> Path:
    """``work_dirs/<pre-training config>/epoch_<N>.pth`` -> the pre-training config, which ends at epoch N."""
    match = re.fullmatch(r'work_dirs/(\w+)/epoch_(\d+)\.pth', cfg.pretrained)
    assert match, f'`pretrained` should name the last checkpoint of a selfsup config, got {cfg.pretrained!r}'
    path = CONFIG_ROOT / 'selfsup' / f'{match.group(1)}.py'
    assert path.is_file(), path
    assert cached_config(path).train_cfg.max_epochs == int(match.group(2)), 'not the last epoch of the pre-training'
    return path


def _check_linear_eval(model, cfg, config_path):
    """The backbone stays frozen in training mode (weights and BN statistics); only the head learns.

    mmpretrain's ResNet freezes ``frozen_stages`` in ``__init__`` and again in ``train()``; ``norm_eval`` puts the BN
    layers back in eval mode in ``train()``. ``frozen_stages=4`` covers the stem and all four stages.
    """
    model.train()
    backbone_params = dict(model.backbone.named_parameters())
    assert backbone_params and not [name for name, p in backbone_params.items() if p.requires_grad]
    norms = [m for m in model.backbone.modules() if isinstance(m, _BatchNorm)]
    assert norms and not any(m.training for m in norms), 'BN statistics of a frozen backbone must not move'
    assert model.head.training and all(p.requires_grad for p in model.head.parameters())
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(name.startswith('head.') for name in trainable), trainable

    # The pretrained checkpoint fits: same backbone (names and shapes) and the same input normalisation.
    pretrain_cfg = cached_config(_pretraining_config(cfg))
    assert pretrain_cfg.model.type in SELFSUP_TYPES
    pretrain_backbone = MODELS.build(pretrain_cfg.model.backbone).state_dict()
    linear_backbone = model.backbone.state_dict()
    assert {k: v.shape for k, v in pretrain_backbone.items()} == {k: v.shape for k, v in linear_backbone.items()}
    for key in ('mean', 'std', 'to_rgb'):
        assert pretrain_cfg.data_preprocessor[key] == cfg.data_preprocessor[key], key


def _mixer_source_checkpoint(cfg, config_path, tmp_path) -> str:
    """A checkpoint of the run a frozen learned mixer comes from (``mixer_source_config``), freshly initialised: the
    config's mixer must load its Mix Block (and encoder) from it with strict keys."""
    assert cfg.mixer_source_config, 'a frozen-mixer config names the config of its checkpoint'
    source = cached_config(str((config_path.parent / cfg.mixer_source_config).resolve()))
    assert cfg.model.mixer.checkpoint.startswith(f'work_dirs/{Path(cfg.mixer_source_config).stem}/')
    path = tmp_path / 'mixer_source.pth'
    torch.save({'state_dict': MODELS.build(source.model).state_dict(), 'meta': {}}, path)
    return str(path)


@pytest.mark.parametrize('config_path', CONFIGS, ids=_config_id)
def test_config_builds_model(config_path, tmp_path):
    cfg = cached_config(config_path)
    assert cfg.default_scope == 'openmixosr'
    if 'osr_split' in str(cfg.train_dataloader):
        assert isinstance(cfg.split, int), 'every open-set benchmark config exposes the split as `split`'
    if _is_selfsup(cfg):
        assert 'selfsup' in config_path.parts and not _is_linear_eval(config_path)
        _check_selfsup_config(cfg, config_path)
        model = MODELS.build(cfg.model)
        missing = [hook for hook in getattr(model, 'required_hooks', ()) if hook not in _hook_types(cfg)]
        assert not missing, f'the model requires hooks the config does not register: {missing}'
        _check_selfsup_model(model, cfg, config_path)
        return
    assert _is_linear_eval(config_path) == ('pretrained' in cfg), 'only linear evaluation names a `pretrained`'
    if cfg.model.type == 'AsymmetricDistiller':
        assert cfg.model.teacher_checkpoint, 'a distillation config names its teacher checkpoint'
        cfg.model.teacher_checkpoint = None  # no trained teacher here: build with a random one
        if cfg.model.mixer.get('checkpoint'):
            cfg.model.mixer.checkpoint = _mixer_source_checkpoint(cfg, config_path, tmp_path)
    model = MODELS.build(cfg.model)
    missing = [hook for hook in getattr(model, 'required_hooks', ()) if hook not in _hook_types(cfg)]
    assert not missing, f'the model requires hooks the config does not register: {missing}'
    num_classes = cfg.data_preprocessor.num_classes
    heads = [model.student.head, model.teacher.head] if hasattr(model, 'student') else [model.head]
    assert all(head.num_classes == num_classes for head in heads)
    with torch.no_grad():
        model.eval()
        size = _input_size(config_path)
        logits = model(torch.randn(2, 3, size, size), mode='tensor')
    assert logits.shape == (2, num_classes)
    if _is_linear_eval(config_path):
        _check_linear_eval(model, cfg, config_path)


class _BackboneSnapshot(Hook):
    """Keeps a copy of the backbone state after initialisation, just before the first step."""

    def before_train(self, runner):
        self.state = {k: v.clone() for k, v in runner.model.backbone.state_dict().items()}


def _train_selfsup_one_epoch(cfg, tmp_path):
    """1 epoch on 96 samples, batch 32 (512-entry queue: a multiple of 32; drop_last keeps batches whole)."""
    runner = build_runner(cfg)  # as the tools build it
    runner.train()
    assert runner.epoch == 1 and runner.iter == 3
    losses = {key[len('train/'):]: buffer.data[0] for key, buffer in runner.message_hub.log_scalars.items()
              if key.startswith('train/loss')}
    # One logged loss per term of the Mix Block objective (its names come from the config's mix_block_losses).
    expected = {'loss'} if cfg.model.type == 'MoCo' else {
        'loss', 'loss_moco', 'loss_mix', 'loss_mask',
        *(f'loss_generation_{name}' for name in cfg.model.mix_block_losses)}
    assert set(losses) == expected
    for name, values in losses.items():
        assert len(values) == 3 and np.isfinite(values).all(), (name, values)
    model = runner.model
    if cfg.model.type in AMIX_SELFSUP_TYPES:
        assert int(model.momentum_encoder.steps) == 3, 'MomentumPipelineHook updates k once per step'
    if cfg.model.type == 'MoCoAMixCluster':
        # The hook sized the memory to the training set and filled every row with an L2-normalised key; k-means
        # re-assigned all samples after the epoch and left its L2-normalised centroids.
        assert model.memory.shape == (96, cfg.model.feat_dim)
        assert torch.allclose(model.memory.norm(dim=1), torch.ones(96), atol=1e-4)
        assert model.pseudo_labels.shape == (96, )
        assert model.has_assignment and int(model.pseudo_labels.max()) < cfg.model.num_clusters
        assert model.centroids.shape == (cfg.model.num_clusters, cfg.model.feat_dim)
        assert torch.allclose(model.centroids.norm(dim=1), torch.ones(cfg.model.num_clusters), atol=1e-4)
        log = next(tmp_path.glob('*/*.log')).read_text()
        assert 'AMix-C pseudo labels after 0 epoch(s)' in log and 'AMix-C pseudo labels after 1 epoch(s)' in log


@pytest.mark.parametrize('config_path', DIGITS_CONFIGS, ids=_config_id)
def test_digits_config_trains_a_few_iterations(config_path, tmp_path):
    cfg = cached_config(config_path)
    cfg.work_dir = str(tmp_path)
    if cfg.model.type == 'AsymmetricDistiller':
        cfg.model.teacher_checkpoint = None  # random teacher: the wiring is what is tested here
        if cfg.model.mixer.get('checkpoint'):
            cfg.model.mixer.checkpoint = _mixer_source_checkpoint(cfg, config_path, tmp_path)
    cfg.experiment_name = f'test_{config_path.stem}'
    cfg.train_dataloader.dataset.indices = 96
    cfg.train_dataloader.batch_size = 32
    cfg.param_scheduler = None
    cfg.default_hooks.checkpoint = None
    if _is_selfsup(cfg):
        cfg.train_cfg = dict(by_epoch=True, max_epochs=1)
        _train_selfsup_one_epoch(cfg, tmp_path)
        return
    # Linear evaluation: apply_pretrained is not called, so the (frozen) backbone keeps its random initialisation.
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
    runner = build_runner(cfg)  # as the tools build it
    snapshot = _BackboneSnapshot()
    if _is_linear_eval(config_path):
        runner.register_hook(snapshot)
    runner.train()
    metrics = runner.val_loop.run()
    for name in ('osr/accuracy', 'osr/auroc', 'osr/oscr'):
        assert 0.0 <= metrics[name] <= 100.0
    if _is_linear_eval(config_path):
        after = runner.model.backbone.state_dict()
        for key, value in snapshot.state.items():  # weights and BN running statistics alike
            assert torch.equal(value, after[key]), f'frozen backbone changed: {key}'


@pytest.mark.parametrize('name', ['cub', 'scars', 'aircraft'])
def test_ssb_baselines_smooth_labels_as_agc_does(name):
    """AGC's label smoothing (its released smooth_one_hot): target 1 - e, every other class e / (K - 1). mmpretrain's
    LabelSmoothLoss builds (1 - v) y + v / K, so the configs must give the same targets."""
    cfg = cached_config(CONFIG_ROOT / 'baselines' / f'ce_r50_ssb_{name}.py')
    loss = MODELS.build(cfg.model.head.loss)
    classes, eps = cfg.num_classes, cfg.label_smoothing
    loss.num_classes = classes
    smoothed = loss.original_smooth_label(torch.nn.functional.one_hot(torch.tensor([3]), classes).float())
    assert torch.allclose(smoothed[0, 3], torch.tensor(1 - eps))
    assert torch.allclose(smoothed[0, 0], torch.tensor(eps / (classes - 1)))
    assert torch.allclose(smoothed.sum(), torch.tensor(1.0))
