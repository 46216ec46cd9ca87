"""tools/analysis/visualize_mix.py: checkpoints of the digits AutoMix / AMix models and of asymmetric distillers with
a learned mixer drawn into a PNG grid."""
import importlib.util
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
import torch
from mmengine.config import Config

from openmixosr.models.paired_mixers.learned_mask_mixer import standardise_per_channel
from openmixosr.models.utils.truncated_forward import forward_until

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / 'tools' / 'analysis' / 'visualize_mix.py'
AUTOMIX_CONFIG = REPO_ROOT / 'configs' / 'automix' / 'automix_r18w16_digits.py'
AMIX_CONFIG = REPO_ROOT / 'configs' / 'amix' / 'amix_r18w16_digits.py'
CE_CONFIG = REPO_ROOT / 'configs' / 'baselines' / 'ce_r18w16_digits.py'
ASYM_CONFIGS = REPO_ROOT / 'configs' / 'asym'


@pytest.fixture(scope='module')
def script():
    spec = importlib.util.spec_from_file_location('visualize_mix', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def save_checkpoint(script, config, path, value_bias=None):
    """Build the config's model, optionally set the Mix Block's value bias, save its weights like a run does."""
    torch.manual_seed(0)
    model = script.build_model(script.load_config(str(config)))
    model.init_weights()
    if value_bias is not None:
        with torch.no_grad():
            model.mixer.mix_block.value.bias.fill_(value_bias)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return path


def test_main_writes_a_grid_png(script, tmp_path):
    checkpoint = save_checkpoint(script, AUTOMIX_CONFIG, tmp_path / 'automix.pth')
    out = tmp_path / 'mix.png'
    lams = ['0.3', '0.7']
    path = script.main([str(AUTOMIX_CONFIG), str(checkpoint), '--out', str(out), '--lams', *lams,
                        '--num-pairs', '2'])
    assert path == str(out) and out.is_file()
    image = mpimg.imread(str(out))
    width, height = script.figure_size(2, len(lams))
    assert image.shape[1] / image.shape[0] == pytest.approx(width / height, rel=0.02)
    assert image.shape[1] == pytest.approx(width * script.DPI, abs=2)


def test_checkpoint_weights_drive_the_masks(script, tmp_path):
    # A large bias of the value conv W_Z makes the partner's mask sigmoid(P @ W_Z a_j) ~ 1, so s = 1 - that ~ 0
    # everywhere (value_source='j', the default) and the mix is the partner: only if the checkpoint was loaded.
    checkpoint = save_checkpoint(script, AUTOMIX_CONFIG, tmp_path / 'biased.pth', value_bias=20.0)
    cfg = script.load_config(str(AUTOMIX_CONFIG))
    model = script.build_model(cfg, str(checkpoint))
    assert not model.training and model.mixer.mix_block.value.bias.item() == 20.0
    inputs, _ = script.load_batch(cfg, model, 'test', 3)
    index = script.pair_index(3)
    mixes = script.mix_for_lams(model, inputs, index, [0.5])
    assert mixes[0.5]['s'].max() < 0.01
    torch.testing.assert_close(mixes[0.5]['mixed'], inputs[index], atol=1e-3 * inputs.abs().max().item(), rtol=0)


@pytest.mark.parametrize('lam_adjust', [True, False])
def test_amix_masks_mix_the_pair_with_mean_lam(script, lam_adjust):
    # The mixed image is s * x_i + (1 - s) * x_{i+1}; with lam adjusting (the self-supervised setting) Mix Block+
    # rescales each mask to mean lam, without it (the supervised default) the mean is the block's own.
    cfg = script.load_config(str(AMIX_CONFIG))
    cfg.model.mixer.mix_block.lam_adjust = lam_adjust
    torch.manual_seed(0)
    model = script.build_model(cfg)
    inputs, _ = script.load_batch(cfg, model, 'train', 4)
    index = script.pair_index(4)
    assert index.tolist() == [1, 2, 3, 0]
    mixes = script.mix_for_lams(model, inputs, index, [0.2, 0.8])
    for lam, mix in mixes.items():
        s = mix['s']
        means = s.flatten(1).mean(1)
        assert (means == pytest.approx([lam] * 4, abs=1e-4)) == lam_adjust
        expected = s[:, None] * inputs + (1 - s[:, None]) * inputs[index]
        torch.testing.assert_close(mix['mixed'], expected)


def test_denormalize_inverts_the_preprocessor(script):
    mean = torch.tensor([10.0, 20.0, 30.0]).view(3, 1, 1)
    std = torch.tensor([2.0, 4.0, 8.0]).view(3, 1, 1)
    raw = torch.tensor([0.0, 51.0, 255.0]).view(1, 3, 1, 1).expand(2, 3, 2, 2)
    images = script.denormalize((raw - mean) / std, mean, std)
    assert images.shape == (2, 2, 2, 3)
    assert images[0, 0, 0] == pytest.approx([0.0, 0.2, 1.0])
    gray = script.denormalize(torch.full((1, 1, 2, 2), 510.0), None, None)
    assert gray.shape == (1, 2, 2) and gray.max() == 1.0  # no statistics: only scaled and clipped


def test_models_without_a_mix_block_are_refused(script):
    with pytest.raises(ValueError, match='OpenSetClassifier draws no learned masks'):
        script.build_model(script.load_config(str(CE_CONFIG)))
    with pytest.raises(ValueError, match='its mixer is PairedCutMix, not a LearnedMaskMixer'):
        script.build_model(script.load_config(str(AUTOMIX_CONFIG),
                                              {'model.mixer': dict(_delete_=True, type='PairedCutMix')}))


def test_self_supervised_amix_masks_from_the_query_view(script, tmp_path):
    """MoCoAMix: images from the train set (two views; the first is mixed), masks from its momentum encoder."""
    config = REPO_ROOT / 'configs' / 'selfsup' / 'amix_i_r18w16_digits.py'
    checkpoint = save_checkpoint(script, config, tmp_path / 'amix_i.pth')
    cfg = script.load_config(str(config))
    with pytest.raises(ValueError, match='--split train'):
        script.load_batch(cfg, script.build_model(cfg, str(checkpoint)), 'test', 3)
    out = tmp_path / 'ssl_mix.png'
    script.main([str(config), str(checkpoint), '--out', str(out), '--split', 'train', '--num-pairs', '2'])
    assert out.is_file()


def _train_set_meta(config, split):
    from openmixosr.registry import DATASETS
    cfg = Config.fromfile(str(config))
    return DATASETS.build(dict(cfg.train_dataloader.dataset, osr_split=split)).metainfo


def test_checkpoints_are_loaded_like_tools_test_loads_them(script, tmp_path, monkeypatch):
    """The loader of the runner (load_checked_checkpoint): a checkpoint that does not fit is explained, one trained on
    other known classes is refused unless allowed, one that records no classes loads with a warning. visualize_mix.py
    loaded its own way: MMEngine's error for the first, and the second drew masks without a word."""
    from openmixosr.engine import CheckpointMismatchError, KnownClassesMismatchError
    cfg = script.load_config(str(AUTOMIX_CONFIG))
    torch.manual_seed(0)
    model = script.build_model(cfg)
    state_dict = model.state_dict()

    from openmixosr.registry import MODELS
    ce = Config.fromfile(str(CE_CONFIG))
    classifier = tmp_path / 'classifier.pth'
    torch.save({'state_dict': MODELS.build(dict(ce.model, data_preprocessor=ce.data_preprocessor)).state_dict()},
               classifier)
    with pytest.raises(CheckpointMismatchError, match='(?s)does not fit the model of this config .* records no model'):
        script.build_model(cfg, str(classifier))

    split1 = tmp_path / 'split1.pth'
    torch.save({'state_dict': state_dict, 'meta': {'dataset_meta': _train_set_meta(AUTOMIX_CONFIG, 1)}}, split1)
    with pytest.raises(KnownClassesMismatchError, match=r'split1.pth was trained on the known classes .* but the '
                                                        r'training set of this config has .*--allow-other-classes'):
        script.build_model(cfg, str(split1))
    allowed = script.load_config(str(AUTOMIX_CONFIG), {'load_cfg.allow_other_classes': True})
    script.build_model(allowed, str(split1))

    split0 = tmp_path / 'split0.pth'
    torch.save({'state_dict': state_dict, 'meta': {'dataset_meta': _train_set_meta(AUTOMIX_CONFIG, 0)}}, split0)
    loaded = script.build_model(cfg, str(split0))
    for name, value in state_dict.items():
        assert torch.equal(loaded.state_dict()[name], value), name

    plain = tmp_path / 'plain.pth'
    torch.save(state_dict, plain)  # torch.save(model.state_dict()): no classes to check
    logged = []
    from openmixosr.engine import checkpoint_loading  # the viewer loads with the engine's loader, which logs there
    monkeypatch.setattr(checkpoint_loading, 'print_log', lambda message, **kwargs: logged.append(message))
    script.build_model(cfg, str(plain))
    assert len(logged) == 1 and logged[0].startswith(f'Checkpoint {plain} records no known classes')


def test_viewer_draws_masks_as_training_does_and_leaves_the_model_alone(script):
    """Batch statistics for k's features and a train-mode Mix Block, as in the training step; an eval-mode draw
    (running statistics) differs, and the viewer restores the model's modes and running statistics."""
    cfg = script.load_config(str(AMIX_CONFIG))
    torch.manual_seed(0)
    model = script.build_model(cfg)
    inputs, _ = script.load_batch(cfg, model, 'train', 6)
    with torch.no_grad():  # move the running statistics away from the batch's, as after training
        for name, buffer in model.momentum_encoder.named_buffers():
            if 'running_mean' in name:
                buffer.add_(0.5)
    before = {name: buffer.clone() for name, buffer in model.named_buffers()}
    index = script.pair_index(6)
    torch.manual_seed(1)
    drawn = script.mix_for_lams(model, inputs, index, [0.3])[0.3]['s']
    assert not model.training and not any(m.training for m in model.modules())
    for name, buffer in model.named_buffers():
        assert torch.equal(buffer, before[name]), name
    with torch.no_grad():
        model.train()
        torch.manual_seed(1)
        features = model.mix_features(inputs)
        expected = model.mixer.mix_block(features, 0.3, index, inputs.shape[-2:])['mask'][:, 0]
        model.eval()
        features = model.mix_features(inputs)
        eval_mode = model.mixer.mix_block(features, 0.3, index, inputs.shape[-2:])['mask'][:, 0]
    torch.testing.assert_close(drawn, expected)
    assert not torch.allclose(drawn, eval_mode, atol=1e-3)


# ----------------------------------------------------------------------------------------------------------------
# Asymmetric distillers with a learned mixer (LearnedMaskMixer)
# ----------------------------------------------------------------------------------------------------------------
def save_distiller_checkpoint(script, config, path, cfg_options=None, value_bias=None):
    """A distiller built from ``config`` (random teacher: the config's teacher checkpoint is not trained here), its
    trained Mix Block's value bias optionally set, saved like a run saves it."""
    cfg = script.load_config(str(config), dict(cfg_options or {}, **{'model.teacher_checkpoint': None}))
    torch.manual_seed(0)
    model = script.build_model(cfg)
    model.init_weights()
    if value_bias is not None:
        with torch.no_grad():
            model.mixer.mix_block.value.bias.fill_(value_bias)
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)
    return model


def snapshot(model):
    return {name: value.clone() for name, value in model.state_dict().items()}


def test_distiller_checkpoint_drives_the_learned_masks(script, tmp_path):
    """The distiller's trained Mix Block comes from its checkpoint (the config's teacher checkpoint is not read):
    a large value bias gives s ~ 0, the mix is the partner."""
    config = ASYM_CONFIGS / 'r18_digits_automix_mask.py'
    saved = save_distiller_checkpoint(script, config, tmp_path / 'distiller.pth', value_bias=20.0)
    cfg = script.load_config(str(config))
    assert not Path(cfg.model.teacher_checkpoint).is_file()  # would fail the build if it were read
    model = script.build_model(cfg, str(tmp_path / 'distiller.pth'))
    assert not model.training and model.mixer.mix_block.value.bias[0].item() == 20.0
    for name, value in saved.teacher.state_dict().items():  # the teacher is the checkpoint's, not a new random one
        assert torch.equal(model.teacher.state_dict()[name], value), name
    inputs, _ = script.load_batch(cfg, model, 'test', 3)
    index = script.pair_index(3)
    mixes = script.mix_for_lams(model, inputs, index, [0.5])
    assert 0.0 <= mixes[0.5]['s'].min() and mixes[0.5]['s'].max() < 0.01
    torch.testing.assert_close(mixes[0.5]['mixed'], inputs[index], atol=1e-3 * inputs.abs().max().item(), rtol=0)

    out = tmp_path / 'distiller_mix.png'
    script.main([str(config), str(tmp_path / 'distiller.pth'), '--out', str(out), '--lams', '0.4', '--num-pairs', '2'])
    image = mpimg.imread(str(out))
    width, height = script.figure_size(2, 1)
    assert image.shape[1] == pytest.approx(width * script.DPI, abs=2) and image[..., :3].std() > 0.05


def test_distiller_masks_come_from_the_teacher_features_as_in_training(script, tmp_path):
    """AMix's Mix Block+ (BatchNorm, Dropout) in train mode on the frozen teacher's stage-3 features of the clean
    images (standardised per channel), as the mixed step draws it; the viewer leaves every weight, buffer and mode as
    it was."""
    config = ASYM_CONFIGS / 'r18_digits_amix_mask.py'
    save_distiller_checkpoint(script, config, tmp_path / 'amix_distiller.pth')
    cfg = script.load_config(str(config))
    model = script.build_model(cfg, str(tmp_path / 'amix_distiller.pth'))
    inputs, _ = script.load_batch(cfg, model, 'test', 6)
    index = script.pair_index(6)
    before = snapshot(model)
    torch.manual_seed(1)
    drawn = script.mix_for_lams(model, inputs, index, [0.3, 0.7])
    assert not any(module.training for module in model.modules())
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name
    with torch.no_grad():
        torch.manual_seed(1)
        for lam in (0.3, 0.7):
            # the mixer standardises the teacher's features per channel (feature_norm='batch')
            features = standardise_per_channel(forward_until(model.teacher.backbone, inputs, model.mixer.mix_layer))
            model.mixer.mix_block.train()
            expected = model.mixer.mix_block(features, lam, index, inputs.shape[-2:])['mask'][:, 0]
            model.mixer.mix_block.eval()
            torch.testing.assert_close(drawn[lam]['s'], expected)
            assert ((drawn[lam]['s'] >= 0) & (drawn[lam]['s'] <= 1)).all()
            assert drawn[lam]['s'].std() > 1e-3  # a mask with content, not a constant
        eval_mode = model.mixer.mix_block(features, 0.7, index, inputs.shape[-2:])['mask'][:, 0]
    assert not torch.allclose(drawn[0.7]['s'], eval_mode, atol=1e-3)


def test_distiller_with_a_mixer_frozen_from_automix_draws_the_automix_masks(script, tmp_path):
    """configs/asym/r18_digits_automix_frozen_mask.py: the Mix Block and encoder of an AutoMix checkpoint; the viewer
    draws exactly the masks the AutoMix model draws."""
    automix_checkpoint = save_checkpoint(script, AUTOMIX_CONFIG, tmp_path / 'automix.pth')
    config = ASYM_CONFIGS / 'r18_digits_automix_frozen_mask.py'
    options = {'model.mixer.checkpoint': str(automix_checkpoint)}
    save_distiller_checkpoint(script, config, tmp_path / 'frozen.pth', options)
    cfg = script.load_config(str(config), options)
    model = script.build_model(cfg, str(tmp_path / 'frozen.pth'))
    automix = script.build_model(script.load_config(str(AUTOMIX_CONFIG)), str(automix_checkpoint))
    inputs, _ = script.load_batch(cfg, model, 'test', 4)
    index = script.pair_index(4)
    drawn = script.mix_for_lams(model, inputs, index, [0.6])[0.6]['s']
    expected = script.mix_for_lams(automix, inputs, index, [0.6])[0.6]['s']
    torch.testing.assert_close(drawn, expected)
    out = tmp_path / 'frozen_mix.png'
    script.main([str(config), str(tmp_path / 'frozen.pth'), '--out', str(out), '--num-pairs', '1',
                 '--cfg-options', f'model.mixer.checkpoint={automix_checkpoint}'])
    assert out.stat().st_size > 0


def test_distiller_without_a_learned_mixer_is_refused(script):
    cfg = script.load_config(str(ASYM_CONFIGS / 'r18_digits.py'), {'model.teacher_checkpoint': None})
    with pytest.raises(ValueError, match='PairedCutMix, not a LearnedMaskMixer'):
        script.build_model(cfg)


# ----------------------------------------------------------------------------------------------------------------
# The figure: perceptual colormap with a colour bar, column headers, class names, training images by default
# ----------------------------------------------------------------------------------------------------------------
def test_figure_has_headers_class_names_and_a_viridis_colour_bar(script, tmp_path, monkeypatch):
    checkpoint = save_checkpoint(script, AUTOMIX_CONFIG, tmp_path / 'automix.pth')
    figures = []
    draw = script.draw_grid
    monkeypatch.setattr(script, 'draw_grid', lambda *args: figures.append(draw(*args)) or figures[-1])
    out = tmp_path / 'mix.png'
    script.main([str(AUTOMIX_CONFIG), str(checkpoint), '--out', str(out), '--lams', '0.3', '0.7', '--num-pairs', '2'])
    figure, = figures
    *cells, colorbar_axes = figure.axes
    assert len(cells) == 2 * 6
    grid = np.array(cells).reshape(2, 6)
    assert [ax.get_title() for ax in grid[0]] == ['$x_i$', '$x_j$', 'mask $s$, $\\lambda$=0.3', 'mixed, $\\lambda$=0.3',
                                                  'mask $s$, $\\lambda$=0.7', 'mixed, $\\lambda$=0.7']
    assert all(ax.get_title() == '' for ax in grid[1])  # headers once, not a title on every cell

    # Class names of the training set (split 0 known digits '2', '4', '5', '9', '8', '3'), no remapped indices.
    cfg = script.load_config(str(AUTOMIX_CONFIG))
    classes = _train_set_meta(AUTOMIX_CONFIG, 0)['classes']
    _, names = script.load_batch(cfg, script.build_model(cfg, str(checkpoint)), 'train', 3)
    assert names == [grid[0, 0].get_xlabel(), grid[1, 0].get_xlabel(), grid[1, 1].get_xlabel()]
    assert all(name in classes for name in names) and grid[0, 1].get_xlabel() == names[1]

    masks = [ax.get_images()[0] for ax in grid[:, 2::2].ravel()]
    assert {image.get_cmap().name for image in masks} == {'viridis'}
    assert all(image.get_clim() == (0.0, 1.0) for image in masks)
    assert all(ax.get_xlabel().startswith('mean ') for ax in grid[:, 2::2].ravel())
    assert colorbar_axes.get_ylabel() == '$s$: weight of $x_i$'  # the colour bar of the masks
    assert colorbar_axes.get_ylim() == (0.0, 1.0)
    image = mpimg.imread(str(out))
    width, height = script.figure_size(2, 2)
    assert image.shape[:2] == (round(height * script.DPI), round(width * script.DPI))


def test_training_images_by_default_and_unknown_ones_named_with_split_test(script, tmp_path):
    args = script.parse_args(['c.py', 'c.pth'])
    assert args.split == 'train'
    cfg = script.load_config(f'openmixosr::automix/{AUTOMIX_CONFIG.name}')
    torch.manual_seed(0)
    model = script.build_model(cfg)
    _, train_names = script.load_batch(cfg, model, 'train', 12)
    assert 'unknown' not in train_names
    _, test_names = script.load_batch(cfg, model, 'test', 12)
    assert 'unknown' in test_names  # the validation set mixes in unknown digits, which training never mixes
    # The training images come through the test pipeline: the same images on every call (no random crop).
    first, _ = script.load_batch(cfg, model, 'train', 4)
    second, _ = script.load_batch(cfg, model, 'train', 4)
    assert torch.equal(first, second)
    assert script.label_text(None, ('a', )) == '' and script.label_text(-1, ('a', )) == 'unknown'
    assert script.label_text(0, ('a', )) == 'a'


def test_help_lists_the_choices_and_defaults(script, capsys):
    with pytest.raises(SystemExit):
        script.parse_args(['--help'])
    text = ' '.join(capsys.readouterr().out.split())
    for expected in ('{train,test}', '(default)', 'default: 0.2 0.5 0.8', 'default: 4', 'default: mix.png',
                     'unknown-class images'):
        assert expected in text, expected
