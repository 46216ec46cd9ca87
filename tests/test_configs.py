"""Every config in the repository builds; the CPU-sized ones train a few iterations."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from openmixosr.registry import MODELS

CONFIG_ROOT = Path(__file__).resolve().parents[1] / 'configs'
CONFIGS = sorted(path for path in CONFIG_ROOT.rglob('*.py') if '_base_' not in path.parts)
DIGITS_CONFIGS = [path for path in CONFIGS if path.stem.endswith('_digits')]


def _config_id(path: Path) -> str:
    return str(path.relative_to(CONFIG_ROOT))


@pytest.mark.parametrize('config_path', CONFIGS, ids=_config_id)
def test_config_builds_model(config_path):
    cfg = Config.fromfile(config_path)
    assert cfg.default_scope == 'openmixosr'
    if 'osr_split' in str(cfg.train_dataloader):
        assert isinstance(cfg.split, int), 'every open-set benchmark config exposes the split as `split`'
    if cfg.model.type == 'AsymmetricDistiller':
        assert cfg.model.teacher_checkpoint, 'a distillation config names its teacher checkpoint'
        cfg.model.teacher_checkpoint = None  # no trained teacher here: build with a random one
    model = MODELS.build(cfg.model)
    num_classes = cfg.data_preprocessor.num_classes
    heads = [model.student.head, model.teacher.head] if hasattr(model, 'student') else [model.head]
    assert all(head.num_classes == num_classes for head in heads)
    with torch.no_grad():
        model.eval()
        size = 16 if 'digits' in config_path.stem else 64 if 'tiny' in config_path.stem else 32
        logits = model(torch.randn(2, 3, size, size), mode='tensor')
    assert logits.shape == (2, num_classes)


@pytest.mark.parametrize('config_path', DIGITS_CONFIGS, ids=_config_id)
def test_digits_config_trains_a_few_iterations(config_path, tmp_path):
    cfg = Config.fromfile(config_path)
    cfg.work_dir = str(tmp_path)
    if cfg.model.type == 'AsymmetricDistiller':
        cfg.model.teacher_checkpoint = None  # random teacher: the wiring is what is tested here
    cfg.experiment_name = f'test_{config_path.stem}'
    cfg.train_dataloader.dataset.indices = 96
    cfg.train_dataloader.batch_size = 32
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
    cfg.param_scheduler = None
    cfg.default_hooks.checkpoint = None
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.val_loop.run()
    for name in ('osr/accuracy', 'osr/auroc', 'osr/oscr'):
        assert 0.0 <= metrics[name] <= 100.0
