"""OpenSetClassifier keeps the raw logits; with a paired mixer it trains as mmpretrain's batch augments did, bit for
bit, through the head's own loss; mmpretrain's batch augments are refused.

The tiny classifier is built from the ``tiny_classifier_cfg`` and ``open_set_preprocessor_cfg`` fixtures
(tests/test_models/conftest.py); the preprocessor's own tests are in tests/test_models/test_data_preprocessors.
"""
import copy

import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from openmixosr.registry import MODELS

AUGMENT_OF = dict(PairedCutMix='CutMix', PairedMixUp='Mixup')


@pytest.fixture
def tiny_model_cfg(tiny_classifier_cfg, open_set_preprocessor_cfg):
    """The tiny 3-class OpenSetClassifier with its OpenSetDataPreprocessor."""
    return dict(tiny_classifier_cfg(num_classes=3), data_preprocessor=open_set_preprocessor_cfg(3))


def _data(labels, seed=0, size=16):
    generator = torch.Generator().manual_seed(seed)
    return dict(inputs=[torch.randint(0, 255, (3, size, size), dtype=torch.uint8, generator=generator)
                        for _ in labels],
                data_samples=[DataSample().set_gt_label(label) for label in labels])


def test_predict_stores_the_head_logits(tiny_model_cfg):
    torch.manual_seed(0)
    model = MODELS.build(tiny_model_cfg).eval()
    inputs = torch.randn(4, 3, 16, 16)
    samples = model(inputs, [DataSample() for _ in range(4)], mode='predict')
    expected = model(inputs, mode='tensor')
    torch.testing.assert_close(torch.stack([s.pred_logits for s in samples]), expected)


@pytest.mark.parametrize('mixer', ['PairedCutMix', 'PairedMixUp'])
def test_a_mixer_trains_exactly_as_mmpretrains_batch_augment(mixer, tiny_model_cfg):
    # The baseline rows once trained with mmpretrain's CutMix / Mixup (ImageClassifier + ClsDataPreprocessor with
    # batch augments) repeat bit for bit: the same mixed images, the same soft labels (1 - lam in double precision),
    # the same head loss and the same weights after a step.
    from mmengine.optim import OptimWrapper
    from mmpretrain.models import ImageClassifier
    ours_cfg = dict(tiny_model_cfg, mixer=dict(type=mixer, alpha=1.0))
    theirs_cfg = copy.deepcopy(tiny_model_cfg)
    theirs_cfg.pop('type')
    theirs_cfg['data_preprocessor'] = dict(type='mmpretrain.ClsDataPreprocessor', num_classes=3, mean=[0.0] * 3,
                                           std=[1.0] * 3)
    models = []
    for build in (lambda: MODELS.build(ours_cfg),
                  lambda: ImageClassifier(**theirs_cfg, train_cfg=dict(augments=dict(type=AUGMENT_OF[mixer],
                                                                                     alpha=1.0)))):
        torch.manual_seed(0)
        models.append(build().train())
    ours, theirs = models
    theirs.load_state_dict(ours.state_dict())
    wrappers = [OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.5)) for model in models]
    for step in range(4):
        logs = []
        for model, wrapper in zip(models, wrappers):
            np.random.seed(step)
            torch.manual_seed(step)
            logs.append(model.train_step(_data((0, 1, 2, 0, 2, 1), seed=step), wrapper))
        assert torch.equal(logs[0]['loss'], logs[1]['loss']), step
    for (name, ours_value), theirs_value in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert torch.equal(ours_value, theirs_value), name


def test_the_soft_labels_are_mmpretrains_to_the_bit_and_a_float32_lam_would_not_be(tiny_model_cfg):
    # mmpretrain mixes one-hot scores with its Python-float lam: lam * s + (1 - lam) * s[j], 1 - lam in double
    # precision. A float32 lam rounds 1 - lam differently for ~40 % of MixUp's draws: the check can fail.
    from openmixosr.models.utils import mixed_soft_label
    model = MODELS.build(dict(tiny_model_cfg, mixer=dict(type='PairedMixUp', alpha=1.0))).train()
    labels = torch.tensor([0, 1, 2, 0, 2, 1])
    differs = 0
    images = torch.randn(6, 3, 8, 8)
    for seed in range(20):
        np.random.seed(seed)
        torch.manual_seed(seed)
        samples = [DataSample().set_gt_label(int(label)) for label in labels]
        _, mixed_samples = model.mix(images, samples)
        scores = torch.stack([sample.gt_score for sample in mixed_samples])
        np.random.seed(seed)
        torch.manual_seed(seed)
        lam, index = np.random.beta(1.0, 1.0), torch.randperm(6)
        onehot = torch.nn.functional.one_hot(labels, 3).float()
        assert torch.equal(scores, lam * onehot + (1 - lam) * onehot[index]), seed
        differs += not torch.equal(scores, mixed_soft_label(labels, index, float(lam), 3))
    assert differs > 0


def test_the_heads_loss_config_is_honoured(tiny_model_cfg):
    # Label smoothing of the head's loss applies to the mixed soft labels as mmpretrain's heads apply it.
    cfg = dict(tiny_model_cfg, mixer=dict(type='PairedCutMix', alpha=1.0))
    smoothed = copy.deepcopy(cfg)
    smoothed['head']['loss'] = dict(type='LabelSmoothLoss', label_smooth_val=0.5, mode='original')
    losses = []
    for model_cfg in (cfg, smoothed):
        torch.manual_seed(0)
        model = MODELS.build(model_cfg).train()
        np.random.seed(1)
        torch.manual_seed(1)
        data = model.data_preprocessor(_data((0, 1, 2, 0)), True)
        losses.append(model.loss(data['inputs'], data['data_samples'])['loss'])
    assert not torch.allclose(losses[0], losses[1])


def test_a_mixed_model_still_evaluates_unknown_labels(tiny_model_cfg):
    model = MODELS.build(dict(tiny_model_cfg, mixer=dict(type='PairedCutMix', alpha=1.0)))
    outputs = model.val_step(_data((0, 2, -1, -1)))  # labels stay labels: -1 has no one-hot vector
    assert [int(s.gt_label) for s in outputs] == [0, 2, -1, -1]
    assert all('gt_score' not in sample for sample in outputs)


@pytest.mark.parametrize('where', ['train_cfg', 'data_preprocessor'])
@pytest.mark.parametrize('augment, mixer', [('CutMix', 'PairedCutMix'), ('Mixup', 'PairedMixUp')])
def test_mmpretrain_batch_augments_are_refused_with_the_mixer_to_use(where, augment, mixer, tiny_model_cfg):
    cfg = copy.deepcopy(tiny_model_cfg)
    if where == 'train_cfg':
        cfg['train_cfg'] = dict(augments=dict(type=augment, alpha=1.0))
    else:
        cfg['data_preprocessor'] = dict(type='mmpretrain.ClsDataPreprocessor', num_classes=3,
                                        batch_augments=dict(augments=dict(type=augment, alpha=1.0)))
    with pytest.raises(ValueError, match=rf"second way to mix.*model.mixer=dict\(type='{mixer}'"):
        MODELS.build(cfg)


def test_a_mixer_that_needs_a_frozen_network_is_refused(tiny_model_cfg):
    learned = dict(type='LearnedMaskMixer', mix_block=dict(type='MixBlock', in_channels=32))
    with pytest.raises(ValueError, match=r"needs \['features'\].*AutoMix, the asymmetric distiller"):
        MODELS.build(dict(tiny_model_cfg, mixer=learned))


def test_step_passes_count_the_mixers_own():
    from openmixosr.models.utils.step_passes import NetworkPasses
    model = MODELS.build(dict(type='OpenSetClassifier', backbone=dict(type='ResNet_CIFAR', depth=18,
                                                                      stem_channels=4, base_channels=4),
                              neck=dict(type='GlobalAveragePooling'),
                              head=dict(type='LinearClsHead', num_classes=3, in_channels=32),
                              mixer=dict(type='PairedCutMix')))
    assert model.step_passes()['step'].networks == dict(online=NetworkPasses(forwards=1, backwards=1))
