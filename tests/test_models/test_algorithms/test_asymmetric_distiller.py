"""AsymmetricDistiller: frozen teacher, raw/mixed steps, the verify, losses and their wiring.

The tiny distiller (ResNet-18 student, ResNet-50 teacher) is the ``build_tiny_distiller`` / ``tiny_distiller_cfg``
fixture of tests/test_models/conftest.py; its batches come from ``labelled_images`` and ``gt_samples``.
"""
import pytest
import torch

from openmixosr.models.algorithms import confusing_samples
from openmixosr.models.losses import dist_loss
from openmixosr.models.paired_mixers import PairedMixer
from openmixosr.models.utils import MixedBatch, mask_mix
from openmixosr.registry import MIXERS, MODELS


def _steer_teacher(model, seen_inputs, favoured=0, margin=1.0):
    """Give the teacher an informative random head whose top class is ``favoured`` on every image of ``seen_inputs``.

    The initial head (std 0.01) makes nearly constant logits; this one spreads them by about 1 across samples (so
    DIST toward the teacher is far from degenerate) and adds ``margin`` to the favoured class beyond the largest gap.
    On mixed images of these inputs the relaxed verify then keeps exactly the samples with ``favoured`` in
    ``{y_i, y_j}`` and marks the others confusing, whatever the pairing.
    """
    fc = model.teacher.head.fc
    generator = torch.Generator().manual_seed(7)
    with torch.no_grad():
        features = model.teacher.extract_feat(seen_inputs)[-1]
        weight = torch.randn(fc.weight.shape, generator=generator)
        weight /= (features @ weight.t()).std(dim=0).mean()
        logits = features @ weight.t()
        others = [c for c in range(logits.size(1)) if c != favoured]
        bias = torch.zeros_like(fc.bias)
        bias[favoured] = (logits[:, others].max(dim=1).values - logits[:, favoured]).max() + margin
        fc.weight.copy_(weight)
        fc.bias.copy_(bias)


class _FixedMixer(PairedMixer):
    """CutMix whose draw is fixed: the top-left 8 x 8 box of ``x[index]`` pasted into ``x`` (16 x 16), lam = 0.75.

    ``index`` is not an involution (i -> index[i] -> i fails), so a pairing applied the wrong way round shows.
    """

    INDEX = (5, 2, 3, 0, 1, 7, 4, 6)

    def forward(self, inputs):
        index = torch.tensor(self.INDEX)
        mixed = inputs.clone()
        mixed[:, :, :8, :8] = inputs[index, :, :8, :8]
        return MixedBatch(mixed, index, 1.0 - 64 / (inputs.size(-2) * inputs.size(-1)))


@pytest.fixture
def fixed_mixed_setup(build_tiny_distiller, labelled_images):
    """Factory ``(**overrides) -> (model, inputs, labels, mixed)``: the tiny distiller on a mixed step with the fixed
    mixer and the steered teacher (favoured class 0).

    Labels ``[0, 1, 2, 3, 0, 1, 2, 3]``, partners' labels ``[1, 2, 3, 0, 1, 3, 0, 2]``: samples 0, 3, 4, 6 contain
    class 0 (kept by the verify), samples 1, 2, 5, 7 do not (confusing).
    """

    def make(**overrides):
        model = build_tiny_distiller(p_mix=1.0, **overrides)
        model.mixer = _FixedMixer()
        inputs, labels = labelled_images()
        mixed = model.mixer(inputs)
        _steer_teacher(model, torch.cat([inputs, mixed.inputs]))
        with torch.no_grad():
            t_mixed = model._logits(model.teacher, mixed.inputs)
        confusing = confusing_samples(t_mixed, labels, mixed.index)
        assert confusing.tolist() == [False, True, True, False, False, True, False, True]
        return model, inputs, labels, mixed

    return make


def test_confusing_samples_on_crafted_teacher_logits():
    labels = torch.tensor([0, 1, 2, 3])
    index = torch.tensor([1, 0, 3, 2])
    logits = torch.full((4, 4), -5.0)
    logits[0, 1] = 5  # top = y_j -> fine
    logits[1, 1] = 5  # top = y_i -> fine
    logits[2, 0] = 5  # neither 2 nor 3 -> confusing
    logits[3, 1] = 5  # neither 3 nor 2 -> confusing
    assert confusing_samples(logits, labels, index).tolist() == [False, False, True, True]


def test_teacher_frozen_in_eval_mode_and_unchanged_by_training(build_tiny_distiller, labelled_images, gt_samples):
    model = build_tiny_distiller(p_mix=0.5)
    model.train()
    assert not model.teacher.training and model.student.training
    before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    for step in range(4):
        inputs, labels = labelled_images()
        losses = model.loss(inputs, gt_samples(labels))
        optimizer.zero_grad()
        sum(v for k, v in losses.items() if k.startswith('loss')).backward()
        optimizer.step()
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, before[key]), key  # weights and BN running statistics
    assert all(not p.requires_grad for p in model.teacher.parameters())


def test_p_mix_zero_is_the_pure_raw_loss(build_tiny_distiller, labelled_images, gt_samples):
    model = build_tiny_distiller(p_mix=0.0)
    inputs, labels = labelled_images()
    losses = model.loss(inputs, gt_samples(labels))
    assert set(losses) == {'loss_ce', 'loss_kd'}
    with torch.no_grad():
        student, teacher = model._logits(model.student, inputs), model._logits(model.teacher, inputs)
    torch.testing.assert_close(losses['loss_ce'], torch.nn.functional.cross_entropy(student, labels))
    torch.testing.assert_close(losses['loss_kd'], dist_loss(student, teacher))


def test_p_mix_one_is_the_pure_mixed_loss_recomputed_by_hand(build_tiny_distiller, labelled_images, gt_samples):
    # Recomputes every term of a mixed step (KD on the kept rows, CMI, relabel on the confusing rows, their weights
    # mu / eta: the losses' loss_weight) by hand. The teacher is steered so the verify marks >= 2 samples confusing
    # and keeps >= 2 whatever the pairing, so the KD and the relabel checks always run (asserted below, no silent
    # skip). Catches: wrong
    # relabel target (no uniform half, lam / 1 - lam swapped, y_j not taken through the pairing), relabel averaged
    # over all rows instead of the confusing ones, KD not restricted to the kept rows, eta / mu not applied.
    import numpy as np
    model = build_tiny_distiller(p_mix=1.0, cmi_loss=dict(type='CrossMutualInformationLoss', loss_weight=2.0),
                                 relabel_loss=dict(type='RelabelLoss', loss_weight=0.5))
    inputs, labels = labelled_images()
    torch.manual_seed(5)
    np.random.seed(5)
    torch.rand(())  # the step-type draw
    first = model.mixer(inputs)
    _steer_teacher(model, torch.cat([inputs, first.inputs]))
    torch.manual_seed(5)
    np.random.seed(5)
    losses = model.loss(inputs, gt_samples(labels))
    assert {'loss_kd', 'loss_cmi', 'loss_relabel', 'relabel_fraction'} == set(losses)
    # Recompute with the same random draws.
    torch.manual_seed(5)
    np.random.seed(5)
    torch.rand(())  # the step-type draw
    mixed = model.mixer(inputs)
    assert torch.equal(mixed.index, first.index) and torch.equal(mixed.inputs, first.inputs)
    with torch.no_grad():
        t_mixed = model._logits(model.teacher, mixed.inputs)
        t_raw = model._logits(model.teacher, inputs)
        s_mixed = model._logits(model.student, mixed.inputs)
    confusing = confusing_samples(t_mixed, labels, mixed.index)
    kept = ~confusing
    # The batch must exercise both branches; fail loudly if it stops doing so.
    assert int(confusing.sum()) >= 2 and int(kept.sum()) >= 2, (confusing.tolist(), mixed.index.tolist())
    assert losses['relabel_fraction'].item() == pytest.approx(confusing.float().mean().item())
    expected_cmi = mixed.lam * dist_loss(s_mixed, t_raw) + (1 - mixed.lam) * dist_loss(s_mixed, t_raw[mixed.index])
    torch.testing.assert_close(losses['loss_cmi'], 2.0 * expected_cmi, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(losses['loss_kd'], dist_loss(s_mixed[kept], t_mixed[kept]), rtol=1e-5, atol=1e-6)
    # Relabel by hand: y_u = 0.5 / C + 0.5 * (lam onehot(y_i) + (1 - lam) onehot(y_j)), CE on the confusing rows.
    num_classes = s_mixed.size(1)
    eye = torch.eye(num_classes, dtype=torch.float64)
    y_m = mixed.lam * eye[labels] + (1 - mixed.lam) * eye[labels[mixed.index]]
    y_u = 0.5 / num_classes + 0.5 * y_m
    log_p = torch.log_softmax(s_mixed.double(), dim=1)
    per_row = -(y_u * log_p).sum(dim=1)
    expected_relabel = 0.5 * per_row[confusing].mean()
    torch.testing.assert_close(losses['loss_relabel'].double(), expected_relabel, rtol=1e-5, atol=1e-6)
    # The averaging set matters on this batch: all rows would give another value.
    assert abs(0.5 * per_row.mean().item() - expected_relabel.item()) > 1e-4


def test_symmetric_row_has_no_verify_and_adds_mixup_ce(build_tiny_distiller, labelled_images, gt_samples):
    model = build_tiny_distiller(p_mix=1.0, cmi_loss=None, relabel_loss=None, mixed_ce_weight=1.0)
    inputs, labels = labelled_images()
    losses = model.loss(inputs, gt_samples(labels))
    assert set(losses) == {'loss_kd', 'loss_mixed_ce'}


def test_missing_and_mismatched_teacher_checkpoints(tmp_path, tiny_classifier_cfg, tiny_distiller_cfg):
    cfg = tiny_distiller_cfg()
    cfg['teacher_checkpoint'] = str(tmp_path / 'missing.pth')
    with pytest.raises(FileNotFoundError, match='Train the teacher first'):
        MODELS.build(cfg)
    other = MODELS.build(dict(tiny_classifier_cfg(18, 8, num_classes=3),
                              data_preprocessor=dict(type='OpenSetDataPreprocessor', mean=[0.0] * 3, std=[1.0] * 3)))
    path = tmp_path / 'other.pth'
    torch.save({'state_dict': other.state_dict(), 'meta': {}}, path)
    cfg['teacher_checkpoint'] = str(path)
    with pytest.raises(RuntimeError, match='(?s)does not fit .*The teacher checkpoint does not match the teacher '):
        MODELS.build(cfg)


def test_init_weights_initialises_the_student_and_never_the_loaded_teacher(tmp_path, tiny_classifier_cfg,
                                                                           tiny_distiller_cfg,
                                                                           open_set_preprocessor_cfg):
    # The teacher checkpoint is written as tools/train.py writes one (meta with numpy arrays, a message hub of plain
    # arrays), so the safe weights-only loading is exercised too. MMEngine's default init_weights would re-draw the
    # teacher's convolutions (Kaiming) and reset its BatchNorm: any such change fails the equality below.
    import numpy as np
    teacher = MODELS.build(dict(tiny_classifier_cfg(50, 4), data_preprocessor=open_set_preprocessor_cfg()))
    with torch.no_grad():
        for buffer in teacher.buffers():
            if buffer.is_floating_point():
                buffer.add_(0.5)  # BN statistics that an initialisation would reset
    path = tmp_path / 'teacher.pth'
    message_hub = dict(log_scalars={'train/loss': dict(log_history=np.arange(3.0), count_history=np.ones(3))})
    torch.save({'state_dict': teacher.state_dict(), 'message_hub': message_hub,
                'meta': {'dataset_meta': {'classes': ('0', '1', '2', '3')}, 'seed': np.int64(0)}}, path)
    model = MODELS.build(tiny_distiller_cfg(teacher_checkpoint=str(path)))
    student_before = {k: v.clone() for k, v in model.student.state_dict().items()}
    model.init_weights()
    for key, value in teacher.state_dict().items():
        assert torch.equal(model.teacher.state_dict()[key], value), key
    assert model.student.is_init and model.teacher.is_init
    conv = 'backbone.conv1.weight'
    assert not torch.equal(model.student.state_dict()[conv], student_before[conv])  # the student was initialised
    assert model.source_dataset_metas == {f'Teacher checkpoint {path}': {'classes': ('0', '1', '2', '3')}}


def test_without_checkpoint_the_teacher_is_initialised_like_the_student(tiny_distiller_cfg):
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match='keeps its initial weights'):
        model = MODELS.build(tiny_distiller_cfg())
    assert not model.teacher.is_init
    before = model.teacher.head.fc.weight.clone()
    model.init_weights()
    assert model.student.is_init and model.teacher.is_init
    assert not torch.equal(model.teacher.head.fc.weight, before)  # the head's Normal(0, 0.01) init ran


def test_teacher_checkpoint_without_the_teachers_weights_is_refused(tmp_path, tiny_distiller_cfg):
    # the one checked loader reads it as a plain state dict, whose entries fit nothing of the teacher
    from openmixosr.engine import CheckpointMismatchError
    path = tmp_path / 'weights.pth'
    torch.save({'weights': torch.zeros(1)}, path)
    with pytest.raises(CheckpointMismatchError, match=r'(?s)weights.pth does not fit .* missing .*no place in the model'
                                                      r' .*The teacher checkpoint does not match the teacher config'):
        MODELS.build(tiny_distiller_cfg(teacher_checkpoint=str(path)))


def test_infonce_cmi_gets_the_pooled_features_by_its_declared_inputs(fixed_mixed_setup, gt_samples):
    """The InfoNCE estimator declares pooled features: its term equals a direct call on S's features of x_m and T's
    features of x (by value; logits have another width and would raise), and its projections get gradients."""
    cmi_cfg = dict(type='InfoNCECrossMutualInformationLoss', student_channels=64, teacher_channels=128,
                   loss_weight=0.5)
    model, inputs, labels, mixed = fixed_mixed_setup(cmi_loss=cmi_cfg)
    assert model.cmi_loss.mixup_inputs == ('student_mixed_features', 'teacher_raw_features', 'index', 'lam')
    losses = model.loss(inputs, gt_samples(labels))
    with torch.no_grad():
        student_features, _ = model._features_and_logits(model.student, mixed.inputs)
        teacher_features, _ = model._features_and_logits(model.teacher, inputs)
        expected = model.cmi_loss(student_features, teacher_features, mixed.index, mixed.lam)  # weight included
    assert student_features.shape == (8, 64) and teacher_features.shape == (8, 128)
    torch.testing.assert_close(losses['loss_cmi'], expected)
    losses['loss_cmi'].backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.cmi_loss.parameters())


def test_dist_cmi_gets_the_logits_by_its_declared_inputs_and_its_loss_weight_is_mu(fixed_mixed_setup, gt_samples):
    """mu of Eq. 8 is the CMI loss's loss_weight, applied once: the distiller adds the loss as the loss returns it."""
    model, inputs, labels, mixed = fixed_mixed_setup(cmi_loss=dict(type='CrossMutualInformationLoss', loss_weight=3.0))
    assert model.cmi_loss.mixup_inputs == ('student_mixed_logits', 'teacher_raw_logits', 'index', 'lam')
    losses = model.loss(inputs, gt_samples(labels))
    with torch.no_grad():
        s_mixed = model._logits(model.student, mixed.inputs)
        t_raw = model._logits(model.teacher, inputs)
    expected = 0.75 * dist_loss(s_mixed, t_raw) + 0.25 * dist_loss(s_mixed, t_raw[mixed.index])
    torch.testing.assert_close(model.cmi_loss(s_mixed, t_raw, mixed.index, mixed.lam), 3.0 * expected)
    torch.testing.assert_close(losses['loss_cmi'], 3.0 * expected)
    model.cmi_loss.loss_weight = 1.0
    torch.testing.assert_close(model.loss(inputs, gt_samples(labels))['loss_cmi'], expected)


@pytest.mark.parametrize('name, value, loss', [('mu', 0.5, 'cmi_loss'), ('eta', 2.0, 'relabel_loss')])
def test_the_removed_weights_mu_and_eta_are_refused_naming_their_loss_weight(name, value, loss, tiny_distiller_cfg):
    """A config of an earlier version (``model = dict(mu=0.5)``) fails at build time and says what to set instead;
    it never trains with the weight silently dropped."""
    with pytest.raises(ValueError, match=rf'{name}={value} was removed.*model\.{loss}\.loss_weight'):
        MODELS.build(tiny_distiller_cfg(**{name: value}))


def test_mixer_comes_from_the_mixers_registry(build_tiny_distiller, tiny_distiller_cfg):
    model = build_tiny_distiller()
    assert isinstance(model.mixer, PairedMixer) and type(model.mixer).__name__ == 'PairedCutMix'
    with pytest.raises(KeyError, match="'CutMix' is an mmpretrain batch augment"):
        MODELS.build(tiny_distiller_cfg(mixer=dict(type='CutMix', alpha=1.0)))
    with pytest.raises(KeyError, match="'Mosaic' is not a paired mixer"):
        MODELS.build(tiny_distiller_cfg(mixer=dict(type='Mosaic')))


class _HalfMaskMixer(PairedMixer):
    """A stand-in for a learned-mask mixer: a trainable per-sample weight, a mask pair, lam per sample."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.tensor([0.2, 0.5, 0.9]))

    def forward(self, inputs):
        index = torch.tensor([2, 0, 1])
        s = self.weight.view(-1, 1, 1, 1).expand(-1, 1, *inputs.shape[-2:])
        mask = torch.cat([s, 1 - s], dim=1)
        return MixedBatch(mask_mix(inputs, mask, index), index, mask[:, 0].mean(dim=(1, 2)), mask)


def test_a_learned_mask_mixer_fits_the_distiller_unchanged(gt_samples, tiny_distiller_cfg):
    """A mixer with parameters, lam per sample and a mask: the distiller holds it as a submodule (saved, trained) and
    its mixed step takes the per-sample lam (relabel target and mixup CE; the CMI term needs one lam per batch)."""
    MIXERS.register_module(name='_HalfMaskMixer', module=_HalfMaskMixer, force=True)
    try:
        cfg = tiny_distiller_cfg(mixer=dict(type='_HalfMaskMixer'), p_mix=1.0, cmi_loss=None,
                   mixed_ce_weight=1.0)
        with pytest.warns(UserWarning, match='keeps its initial weights'):
            model = MODELS.build(cfg)
    finally:
        MIXERS.module_dict.pop('_HalfMaskMixer')
    assert 'mixer.weight' in model.state_dict()
    inputs = torch.rand(3, 3, 16, 16)
    mixed = model.mixer(inputs)
    torch.testing.assert_close(mixed.lam, torch.tensor([0.2, 0.5, 0.9]))
    losses = model.loss(inputs, gt_samples((0, 1, 2)))
    assert {'loss_kd', 'loss_relabel', 'relabel_fraction', 'loss_mixed_ce'} == set(losses)
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    assert model.mixer.weight.grad is not None and model.mixer.weight.grad.abs().sum() > 0


@pytest.mark.parametrize('loss', [None, dict(type='CrossEntropyLoss', loss_weight=1.0), dict(type='LabelSmoothLoss',
                                                                                             label_smooth_val=0.1)])
def test_the_student_heads_loss_is_plain_cross_entropy_or_refused(loss, tiny_distiller_cfg, labelled_images):
    """The raw step's CE is the distiller's own F.cross_entropy: plain CE (the default) is what it computes; any
    other student head loss would be ignored, so the build refuses it. The teacher's head loss (it trained with it) is
    free."""
    cfg = tiny_distiller_cfg(p_mix=0.0)
    cfg['teacher']['head']['loss'] = dict(type='LabelSmoothLoss', label_smooth_val=0.3)
    if loss is not None:
        cfg['student']['head']['loss'] = loss
    if loss is not None and loss['type'] != 'CrossEntropyLoss':
        with pytest.raises(ValueError, match=r'model\.student\.head\.loss is LabelSmoothLoss.*computes CE\(S\(x\), '
                                             r'y\)'):
            MODELS.build(cfg)
        return
    with pytest.warns(UserWarning, match='keeps its initial weights'):
        model = MODELS.build(cfg)
    inputs, labels = labelled_images()
    with torch.no_grad():
        logits = model._logits(model.student, inputs)
        torch.testing.assert_close(model.raw_loss(inputs, labels)['loss_ce'],
                                   model.student.head.loss_module(logits, labels))


def test_bad_options_raise(tiny_distiller_cfg):
    for bad in (dict(p_mix=1.5), dict(kd_target='logits'), dict(eval_network='both'), dict(mixed_ce_weight=-1.0)):
        with pytest.raises(ValueError):
            MODELS.build(tiny_distiller_cfg(**bad))


def _numpy_log_softmax(logits):
    import numpy as np
    z = logits - logits.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def test_kd_target_raw_distils_the_kept_mixed_samples_toward_the_teacher_on_the_raw_primary_sample(fixed_mixed_setup,
                                                                                                    gt_samples):
    # kd_target='raw' (authors' code): KD = DIST(S(x_m)[kept], T(x_i)[kept]); 'mixed' (paper): T(x_m)[kept].
    # Catches: the option ignored (T(x_m) used for both), T(x_j) = T(x)[index] used instead of T(x_i), the raw
    # teacher rows not restricted to the kept samples, or a mismatch between the student rows and the teacher rows.
    model, inputs, labels, mixed = fixed_mixed_setup(kd_target='raw')
    losses_raw = model.loss(inputs, gt_samples(labels))
    model.kd_target = 'mixed'  # same weights, same (fixed) draw
    losses_mixed = model.loss(inputs, gt_samples(labels))
    with torch.no_grad():
        s_mixed = model._logits(model.student, mixed.inputs)
        t_raw = model._logits(model.teacher, inputs)
        t_mixed = model._logits(model.teacher, mixed.inputs)
    kept = torch.tensor([True, False, False, True, True, False, True, False])
    expected_raw = MODELS.build(dict(type='DISTLoss'))(s_mixed[kept], t_raw[kept])
    expected_mixed = MODELS.build(dict(type='DISTLoss'))(s_mixed[kept], t_mixed[kept])
    torch.testing.assert_close(losses_raw['loss_kd'], expected_raw, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(losses_mixed['loss_kd'], expected_mixed, rtol=1e-5, atol=1e-6)
    assert abs(losses_raw['loss_kd'].item() - losses_mixed['loss_kd'].item()) > 1e-2
    # and the alternatives a bug could produce are far from it
    for wrong in (dist_loss(s_mixed, t_raw), dist_loss(s_mixed[kept], t_raw[mixed.index][kept])):
        assert abs(losses_raw['loss_kd'].item() - wrong.item()) > 1e-3
    # the other terms do not depend on kd_target
    for key in ('loss_cmi', 'loss_relabel'):
        torch.testing.assert_close(losses_raw[key], losses_mixed[key])


@pytest.mark.parametrize('weight', [1.0, 0.5, 0.0])
def test_mixed_ce_weight_is_mixup_ce_over_the_kept_rows_recomputed_with_numpy(weight, fixed_mixed_setup, gt_samples):
    # loss_mixed_ce = w * mean over kept rows of -sum(y_m * log_softmax(S(x_m))), y_m = lam onehot(y_i) +
    # (1 - lam) onehot(y_j); no key when w = 0. Catches: averaging over all rows (or the confusing ones), lam and
    # 1 - lam swapped, the partner label not taken through the pairing, w not applied, a zero term logged at w = 0.
    import numpy as np
    model, inputs, labels, mixed = fixed_mixed_setup(mixed_ce_weight=weight)
    losses = model.loss(inputs, gt_samples(labels))
    if weight == 0.0:
        assert 'loss_mixed_ce' not in losses
        assert {'loss_kd', 'loss_cmi', 'loss_relabel', 'relabel_fraction'} == set(losses)
        return
    with torch.no_grad():
        s_mixed = model._logits(model.student, mixed.inputs).double().numpy()
        t_mixed = model._logits(model.teacher, mixed.inputs).numpy()
    y, j, lam = labels.numpy(), mixed.index.numpy(), mixed.lam
    assert lam == 0.75
    top = t_mixed.argmax(axis=1)
    kept = (top == y) | (top == y[j])  # the verify, independently
    assert kept.sum() == 4
    eye = np.eye(s_mixed.shape[1])
    y_m = lam * eye[y] + (1 - lam) * eye[y[j]]
    per_row = -(y_m * _numpy_log_softmax(s_mixed)).sum(axis=1)
    expected = weight * per_row[kept].mean()
    assert losses['loss_mixed_ce'].item() == pytest.approx(expected, rel=1e-5, abs=1e-6)
    assert abs(weight * per_row.mean() - expected) > 1e-4  # the kept subset matters on this batch


def test_symmetric_row_distils_every_mixed_sample_even_the_confusing_ones(fixed_mixed_setup, gt_samples):
    # cmi_loss=None, relabel_loss=None: no verify, KD = DIST(S(x_m), T(x_m)) over all N rows, mixup CE over all rows.
    # The steered teacher calls 4 of the 8 samples confusing, so a verify applied anyway gives another value.
    # Catches: the verify (or a KD restricted to some rows) left on in the symmetric row.
    import numpy as np
    model, inputs, labels, mixed = fixed_mixed_setup(cmi_loss=None, relabel_loss=None, mixed_ce_weight=1.0)
    losses = model.loss(inputs, gt_samples(labels))
    assert set(losses) == {'loss_kd', 'loss_mixed_ce'}
    with torch.no_grad():
        s_mixed = model._logits(model.student, mixed.inputs)
        t_mixed = model._logits(model.teacher, mixed.inputs)
    confusing = confusing_samples(t_mixed, labels, mixed.index)
    assert int(confusing.sum()) >= 1  # the verify would have dropped these
    torch.testing.assert_close(losses['loss_kd'], dist_loss(s_mixed, t_mixed), rtol=1e-5, atol=1e-6)
    assert abs(losses['loss_kd'].item() - dist_loss(s_mixed[~confusing], t_mixed[~confusing]).item()) > 1e-3
    y, j, lam = labels.numpy(), mixed.index.numpy(), mixed.lam
    eye = np.eye(s_mixed.size(1))
    y_m = lam * eye[y] + (1 - lam) * eye[y[j]]
    per_row = -(y_m * _numpy_log_softmax(s_mixed.double().numpy())).sum(axis=1)
    assert losses['loss_mixed_ce'].item() == pytest.approx(per_row.mean(), rel=1e-5, abs=1e-6)


def test_a_new_cmi_estimator_needs_no_change_to_the_distiller(fixed_mixed_setup, gt_samples):
    """The docs' toy estimator (docs/asymmetric_distillation.md, Extending): it declares logits, gets S(x_m) and T(x)
    by name, and its term is a direct call (its loss_weight, mu, inherited from the base class, included)."""
    import torch.nn.functional as F

    from openmixosr.models.losses import BaseCrossMutualInformationLoss

    class CosineCrossMutualInformationLoss(BaseCrossMutualInformationLoss):
        mixup_inputs = ('student_mixed_logits', 'teacher_raw_logits', 'index', 'lam')

        def discrepancy(self, student, teacher):
            return 1 - F.cosine_similarity(student, teacher, dim=1).mean()

        def forward(self, student_mixed_logits, teacher_raw_logits, index, lam):
            return self.cross_mutual_information(student_mixed_logits, teacher_raw_logits, index, lam)

    MODELS.register_module(name='_CosineCMI', module=CosineCrossMutualInformationLoss, force=True)
    try:
        model, inputs, labels, mixed = fixed_mixed_setup(cmi_loss=dict(type='_CosineCMI', loss_weight=2.0))
    finally:
        MODELS.module_dict.pop('_CosineCMI')
    losses = model.loss(inputs, gt_samples(labels))
    with torch.no_grad():
        s_mixed = model._logits(model.student, mixed.inputs)
        t_raw = model._logits(model.teacher, inputs)
    cosine = torch.nn.functional.cosine_similarity
    expected = 0.75 * (1 - cosine(s_mixed, t_raw).mean()) + 0.25 * (1 - cosine(s_mixed, t_raw[mixed.index]).mean())
    torch.testing.assert_close(losses['loss_cmi'], 2.0 * expected)


@pytest.mark.parametrize('overrides, teacher_mixed', [(dict(), 2), (dict(cmi_loss=None), 1),
                                                       (dict(cmi_loss=None, kd_target='raw'), 2)])
def test_step_passes_count_the_passes_a_step_makes(overrides, teacher_mixed, build_tiny_distiller, labelled_images,
                                                   gt_samples):
    """The declared passes (read by the benchmarks) equal the forwards counted on the networks during a step."""
    calls = dict(teacher=0, student=0)
    for p_mix, kind in ((0.0, 'raw'), (1.0, 'mixed')):
        model = build_tiny_distiller(p_mix=p_mix, **overrides)
        for name in calls:
            calls[name] = 0
            getattr(model, name).backbone.register_forward_hook(
                lambda *args, name=name: calls.__setitem__(name, calls[name] + 1))
        inputs, labels = labelled_images()
        model.loss(inputs, gt_samples(labels))
        declared = model.step_passes()[kind].networks
        assert calls['teacher'] == declared['teacher'].forwards_no_graph == (teacher_mixed if kind == 'mixed' else 1)
        assert calls['student'] == declared['student'].forwards == 1
