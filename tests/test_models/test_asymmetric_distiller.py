"""AsymmetricDistiller: frozen teacher, raw/mixed steps, the verify, losses and their wiring."""
import copy

import pytest
import torch
from mmpretrain.structures import DataSample

from openmixosr.models.algorithms import confusing_samples
from openmixosr.models.losses import dist_loss, mixup_cross_entropy  # noqa: F401
from openmixosr.registry import MODELS


def _classifier(depth, width, num_classes=4):
    return dict(type='OpenSetClassifier',
                backbone=dict(type='ResNet_CIFAR', depth=depth, stem_channels=width, base_channels=width,
                              out_indices=(3, )),
                neck=dict(type='GlobalAveragePooling'),
                head=dict(type='LinearClsHead', num_classes=num_classes,
                          in_channels=width * 8 * (4 if depth >= 50 else 1)))


TINY = dict(type='AsymmetricDistiller', student=_classifier(18, 8), teacher=_classifier(50, 4),
            teacher_checkpoint=None,
            data_preprocessor=dict(type='OpenSetDataPreprocessor', num_classes=4, mean=[0.0] * 3, std=[1.0] * 3))


def _model(**overrides):
    torch.manual_seed(0)
    cfg = copy.deepcopy(TINY)
    cfg.update(overrides)
    with pytest.warns(UserWarning, match='random weights'):
        model = MODELS.build(cfg)
    model.init_weights()
    return model


def _batch(n=8):
    torch.manual_seed(1)
    return torch.randn(n, 3, 16, 16), torch.arange(n) % 4


def test_confusing_samples_on_crafted_teacher_logits():
    labels = torch.tensor([0, 1, 2, 3])
    index = torch.tensor([1, 0, 3, 2])
    logits = torch.full((4, 4), -5.0)
    logits[0, 1] = 5  # top = y_j -> fine
    logits[1, 1] = 5  # top = y_i -> fine
    logits[2, 0] = 5  # neither 2 nor 3 -> confusing
    logits[3, 1] = 5  # neither 3 nor 2 -> confusing
    assert confusing_samples(logits, labels, index).tolist() == [False, False, True, True]


def test_teacher_frozen_in_eval_mode_and_unchanged_by_training():
    model = _model(p_mix=0.5)
    model.train()
    assert not model.teacher.training and model.student.training
    before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    for step in range(4):
        inputs, labels = _batch()
        losses = model.loss(inputs, [DataSample().set_gt_label(int(y)) for y in labels])
        optimizer.zero_grad()
        sum(v for k, v in losses.items() if k.startswith('loss')).backward()
        optimizer.step()
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, before[key]), key  # weights and BN running statistics
    assert all(not p.requires_grad for p in model.teacher.parameters())


def test_p_mix_zero_is_the_pure_raw_loss():
    model = _model(p_mix=0.0)
    inputs, labels = _batch()
    losses = model.loss(inputs, [DataSample().set_gt_label(int(y)) for y in labels])
    assert set(losses) == {'loss_ce', 'loss_kd'}
    with torch.no_grad():
        student, teacher = model._logits(model.student, inputs), model._logits(model.teacher, inputs)
    torch.testing.assert_close(losses['loss_ce'], torch.nn.functional.cross_entropy(student, labels))
    torch.testing.assert_close(losses['loss_kd'], dist_loss(student, teacher))


def test_p_mix_one_is_the_pure_mixed_loss_recomputed_by_hand():
    model = _model(p_mix=1.0)
    inputs, labels = _batch()
    torch.manual_seed(5)
    import numpy as np
    np.random.seed(5)
    losses = model.loss(inputs, [DataSample().set_gt_label(int(y)) for y in labels])
    assert {'loss_kd', 'loss_cmi', 'loss_relabel', 'relabel_fraction'} == set(losses)
    # Recompute with the same random draws.
    torch.manual_seed(5)
    np.random.seed(5)
    torch.rand(())  # the step-type draw
    mixed = model.mixer(inputs)
    with torch.no_grad():
        t_mixed = model._logits(model.teacher, mixed.inputs)
        t_raw = model._logits(model.teacher, inputs)
        s_mixed = model._logits(model.student, mixed.inputs)
    confusing = confusing_samples(t_mixed, labels, mixed.index)
    assert losses['relabel_fraction'].item() == pytest.approx(confusing.float().mean().item())
    expected_cmi = mixed.lam * dist_loss(s_mixed, t_raw) + (1 - mixed.lam) * dist_loss(s_mixed, t_raw[mixed.index])
    torch.testing.assert_close(losses['loss_cmi'], expected_cmi, rtol=1e-5, atol=1e-6)
    kept = ~confusing
    if kept.sum() >= 2:
        torch.testing.assert_close(losses['loss_kd'], dist_loss(s_mixed[kept], t_mixed[kept]), rtol=1e-5, atol=1e-6)


def test_symmetric_row_has_no_verify_and_adds_mixup_ce():
    model = _model(p_mix=1.0, cmi_loss=None, relabel_loss=None, mixed_ce_weight=1.0)
    inputs, labels = _batch()
    losses = model.loss(inputs, [DataSample().set_gt_label(int(y)) for y in labels])
    assert set(losses) == {'loss_kd', 'loss_mixed_ce'}


def test_missing_and_mismatched_teacher_checkpoints(tmp_path):
    cfg = copy.deepcopy(TINY)
    cfg['teacher_checkpoint'] = str(tmp_path / 'missing.pth')
    with pytest.raises(FileNotFoundError, match='Train the teacher first'):
        MODELS.build(cfg)
    other = MODELS.build(dict(_classifier(18, 8, num_classes=3),
                              data_preprocessor=dict(type='OpenSetDataPreprocessor', mean=[0.0] * 3, std=[1.0] * 3)))
    path = tmp_path / 'other.pth'
    torch.save({'state_dict': other.state_dict(), 'meta': {}}, path)
    cfg['teacher_checkpoint'] = str(path)
    with pytest.raises(RuntimeError, match='does not match the teacher config'):
        MODELS.build(cfg)


def test_teacher_checkpoint_of_a_baseline_loads(tmp_path):
    teacher = MODELS.build(dict(_classifier(50, 4), data_preprocessor=TINY['data_preprocessor']))
    path = tmp_path / 'teacher.pth'
    torch.save({'state_dict': teacher.state_dict(), 'meta': {}}, path)
    model = MODELS.build(dict(copy.deepcopy(TINY), teacher_checkpoint=str(path)))
    model.init_weights()  # must not re-initialise the loaded teacher
    for key, value in teacher.state_dict().items():
        assert torch.equal(model.teacher.state_dict()[key], value), key


def test_infonce_cmi_gets_pooled_features():
    model = _model(p_mix=1.0, cmi_loss=dict(type='InfoNCECrossMutualInformationLoss', student_channels=64,
                                            teacher_channels=128))
    inputs, labels = _batch()
    losses = model.loss(inputs, [DataSample().set_gt_label(int(y)) for y in labels])
    losses['loss_cmi'].backward()
    assert any(p.grad is not None for p in model.cmi_loss.parameters())


def test_bad_options_raise():
    for bad in (dict(p_mix=1.5), dict(kd_target='logits'), dict(eval_network='both')):
        with pytest.raises(ValueError):
            MODELS.build(dict(copy.deepcopy(TINY), **bad))
