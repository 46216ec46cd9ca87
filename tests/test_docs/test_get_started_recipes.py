"""The "Extend OpenMixOSR" recipes of docs/get_started.md, run exactly as written: a toy mixer, loss and hook.

The test writes every ```python block of that section whose first line names a file (``# my_extension/...``,
``# my_configs/...``) into a temporary folder, imports the modules, checks each toy class by value, and trains the
recipe's configs for two short epochs with ``tools/train.py``: the one mixer file in a distiller, a classifier
baseline and AutoMix. The only change to the written text: the configs' ``_base_`` paths, relative to the repository in
the docs, point at this repository from the temporary folder.
"""
import importlib
import math
import re
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from tests.helpers.run_tool import REPO_ROOT, run_tool

#: The files of the score / source / benchmark recipes (tests/test_docs/test_extension_recipes.py).
EXTENSION_FILES = ('my_extension/margin_score.py', 'my_extension/shifted_digits.py',
                   'my_extension/odd_even_benchmark.py', 'my_configs/margin_odd_even_digits.py')

GET_STARTED = REPO_ROOT / 'docs' / 'get_started.md'
SECTION = '## Extend OpenMixOSR'
FILE_BLOCK = re.compile(r'```python\n# (my_(?:extension|configs)/[\w/]+\.py)\n(.*?)```', re.S)


def recipe_files() -> dict:
    """``{relative path: text}`` of the file blocks of the recipes section."""
    text = GET_STARTED.read_text()
    section = text[text.index(SECTION):]
    following = section.find('\n## ', len(SECTION))
    section = section if following == -1 else section[:following]
    return {path: f'# {path}\n{body}' for path, body in FILE_BLOCK.findall(section)}


@pytest.fixture(scope='module')
def recipes(tmp_path_factory):
    """The recipe files written into a temporary project folder, importable as ``my_extension``."""
    root = tmp_path_factory.mktemp('project')
    files = recipe_files()
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if relative.startswith('my_configs/'):
            text = text.replace("'../configs/", f"'{REPO_ROOT}/configs/")
        path.write_text(text)
    (root / 'my_extension' / '__init__.py').write_text('')
    sys.path.insert(0, str(root))
    try:
        modules = {name: importlib.import_module(f'my_extension.{name}')
                   for name in ('split_mix', 'kl_distill_loss', 'p_mix_schedule_hook')}
        yield SimpleNamespace(root=root, files=files, **modules)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.startswith('my_extension')]:
            del sys.modules[name]


def test_the_section_has_the_recipe_files():
    assert set(recipe_files()) - set(EXTENSION_FILES) == {
        'my_extension/split_mix.py', 'my_extension/kl_distill_loss.py', 'my_extension/p_mix_schedule_hook.py',
        'my_configs/split_mix_r18_digits.py', 'my_configs/split_mix_baseline_r18w16_digits.py',
        'my_configs/split_mix_automix_r18w16_digits.py'
    }


def test_split_mix_builds_from_the_registry_and_mixes_columns_with_the_exact_lam(recipes):
    from openmixosr.models.paired_mixers import PairedMixer, build_paired_mixer
    mixer = build_paired_mixer(dict(type='SplitMix', alpha=1.0))
    assert isinstance(mixer, PairedMixer)
    images = torch.randn(6, 3, 8, 10)
    np.random.seed(3)
    expected_split = int(round(np.random.beta(1.0, 1.0) * 10))
    np.random.seed(3)
    mixed = mixer(images)
    assert sorted(mixed.index.tolist()) == list(range(6))
    assert mixed.lam == expected_split / 10
    assert torch.equal(mixed.inputs[..., :expected_split], images[..., :expected_split])
    assert torch.equal(mixed.inputs[..., expected_split:], images[mixed.index][..., expected_split:])
    assert mixed.mask is None


def test_kl_distill_loss_matches_a_hand_computation(recipes):
    from openmixosr.registry import MODELS
    loss = MODELS.build(dict(type='KLDistillLoss', tau=2.0))
    student = torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    teacher = torch.tensor([[0.0, 2.0, 0.0], [1.0, -1.0, 0.0]])

    def softmax(row):
        exps = [math.exp(value / 2.0) for value in row]
        return [value / sum(exps) for value in exps]

    kl = [sum(t * math.log(t / s) for t, s in zip(softmax(trow), softmax(srow)))
          for srow, trow in zip(student.tolist(), teacher.tolist())]
    assert loss(student, teacher).item() == pytest.approx(4.0 * sum(kl) / 2, rel=1e-5)
    assert loss(teacher, teacher).item() == pytest.approx(0.0, abs=1e-6)
    weighted = MODELS.build(dict(type='KLDistillLoss', tau=2.0, loss_weight=0.5))  # the loss-weight convention
    assert weighted(student, teacher).item() == pytest.approx(0.5 * 4.0 * sum(kl) / 2, rel=1e-5)


def tiny_distiller(p_mix: float):
    """An AsymmetricDistiller of two 8-channel ResNet-18s on 4 classes, random teacher."""
    from openmixosr.registry import MODELS
    classifier = dict(type='OpenSetClassifier',
                      backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8),
                      neck=dict(type='GlobalAveragePooling'),
                      head=dict(type='LinearClsHead', num_classes=4, in_channels=64))
    with pytest.warns(UserWarning, match='no teacher_checkpoint'):
        return MODELS.build(dict(type='AsymmetricDistiller', student=classifier, teacher=classifier,
                                 teacher_checkpoint=None, p_mix=p_mix))


def test_p_mix_schedule_hook_starts_from_the_models_value_and_refuses_other_models(recipes):
    from openmixosr.registry import HOOKS
    hook = HOOKS.build(dict(type='PMixScheduleHook', end_p_mix=0.0))
    distiller = tiny_distiller(p_mix=0.8)
    runner = SimpleNamespace(model=distiller, iter=0, max_iters=4)
    hook.before_train(runner)
    seen = []
    for iteration in range(4):
        runner.iter = iteration
        hook.before_train_iter(runner, iteration)
        seen.append(distiller.p_mix)
    assert seen == pytest.approx([0.8, 0.6, 0.4, 0.2])
    with pytest.raises(TypeError, match='PMixScheduleHook needs a AsymmetricDistiller'):
        hook.before_train(SimpleNamespace(model=torch.nn.Linear(2, 2)))


def test_the_recipe_config_trains_two_epochs_with_the_three_components(recipes, tmp_path, monkeypatch):
    monkeypatch.setenv('PYTHONPATH', str(recipes.root))
    work_dir = tmp_path / 'work'
    result = run_tool('train.py', recipes.root / 'my_configs' / 'split_mix_r18_digits.py', '--work-dir', work_dir,
                      '--cfg-options', 'model.teacher_checkpoint=None', 'train_cfg.max_epochs=2',
                      'train_dataloader.dataset.indices=64', 'val_dataloader.dataset.indices=64',
                      'default_hooks.checkpoint.interval=1', 'default_hooks.logger.interval=1')
    output = result.stdout + result.stderr
    assert (work_dir / 'epoch_2.pth').exists()
    assert 'PMixScheduleHook' in output  # MMEngine lists the registered hooks at start
    assert "type='SplitMix'" in output and "type='KLDistillLoss'" in output  # the config the run printed
    assert 'loss_kd' in output


def _train_two_short_epochs(recipes, config, work_dir, *options):
    result = run_tool('train.py', recipes.root / 'my_configs' / config, '--work-dir', work_dir, '--cfg-options',
                      'train_cfg.max_epochs=2', 'train_dataloader.dataset.indices=64',
                      'val_dataloader.dataset.indices=64', 'default_hooks.checkpoint.interval=1',
                      'default_hooks.logger.interval=1', *options)
    assert (work_dir / 'epoch_2.pth').exists()
    return result.stdout + result.stderr


def test_the_mixer_trains_in_a_classifier_baseline(recipes, tmp_path, monkeypatch):
    monkeypatch.setenv('PYTHONPATH', str(recipes.root))
    output = _train_two_short_epochs(recipes, 'split_mix_baseline_r18w16_digits.py', tmp_path / 'work')
    assert "type='SplitMix'" in output and "type='OpenSetClassifier'" in output
    assert re.search(r'Epoch\(train\) +\[2\]\[1/1\].* loss: \d', output)  # the head's loss on the mixes


def test_the_mixer_trains_in_automix(recipes, tmp_path, monkeypatch):
    monkeypatch.setenv('PYTHONPATH', str(recipes.root))
    output = _train_two_short_epochs(recipes, 'split_mix_automix_r18w16_digits.py', tmp_path / 'work')
    assert "type='SplitMix'" in output and "type='AutoMix'" in output
    assert re.search(r'Epoch\(train\) +\[2\]\[1/1\].* loss_clean: \d.* loss_mix: \d', output)
    assert 'loss_generation' not in output  # SplitMix trains nothing: no Mix Block objective
    assert 'MaskLossScheduleHook: the model trains no Mix Block' in output


def test_the_baseline_trains_its_head_on_split_mix_with_the_mixed_soft_label(recipes):
    # The baseline config's classifier: head loss on SplitMix's mix, target lam * onehot(y_i) + (1 - lam) * onehot(y_j)
    # with SplitMix's own lam (the share of columns), computed here by hand from the same draws.
    from mmengine.config import Config
    from mmpretrain.structures import DataSample
    from openmixosr.registry import MODELS
    cfg = Config.fromfile(recipes.root / 'my_configs' / 'split_mix_baseline_r18w16_digits.py')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    assert type(model.mixer).__name__ == 'SplitMix'
    images, labels = torch.randn(8, 3, 16, 16), torch.tensor([0, 1, 2, 3, 4, 5, 0, 1])
    np.random.seed(4)
    torch.manual_seed(4)
    loss = model.loss(images, [DataSample().set_gt_label(int(label)) for label in labels])['loss']
    np.random.seed(4)
    torch.manual_seed(4)
    mixed = recipes.split_mix.SplitMix(alpha=1.0)(images)
    onehot = torch.nn.functional.one_hot(labels, 6).float()
    target = mixed.lam * onehot + (1 - mixed.lam) * onehot[mixed.index]
    with torch.no_grad():
        log_p = torch.log_softmax(model.head(model.extract_feat(mixed.inputs)), dim=1)
    assert loss.item() == pytest.approx(-(target * log_p).sum(dim=1).mean().item(), rel=1e-5)
