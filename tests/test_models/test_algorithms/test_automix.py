"""AutoMix's Momentum Pipeline: which losses reach which parameters, the EMA arithmetic, the momentum check.

The tiny AutoMix and its batch are the ``build_tiny_automix`` and ``labelled_batch`` fixtures (tests/conftest.py); the
MomentumPipelineHook's schedule is tested in tests/test_engine/test_hooks/test_momentum_pipeline_hook.py, the mask-loss
schedule in test_mask_loss_schedule_hook.py.
"""
import pytest
import torch
from mmpretrain.structures import DataSample

from openmixosr.models.utils.momentum_encoder import MomentumEncoder
from openmixosr.models.utils.truncated_forward import forward_until


def _grads(module):
    return [p.grad for p in module.parameters()]


def _has_signal(grads):
    return any(g is not None and g.abs().sum() > 0 for g in grads)


def _no_signal(grads):
    return all(g is None or g.abs().sum() == 0 for g in grads)


@pytest.mark.parametrize('block', [dict(type='MixBlock', in_channels=32),
                                   dict(type='MixBlockPlus', in_channels=32)])
def test_generation_loss_reaches_only_the_mix_block(block, build_tiny_automix, labelled_batch):
    model = build_tiny_automix(mix_block=block)
    model.train()
    losses = model.loss(*labelled_batch())
    (losses['loss_generation'] + losses['loss_mask']).backward()
    assert _has_signal(_grads(model.mixer.mix_block))
    assert _no_signal(_grads(model.backbone)) and _no_signal(_grads(model.head))
    assert all(not p.requires_grad for p in model.momentum_encoder.parameters())


def test_classification_loss_reaches_only_the_online_network(build_tiny_automix, labelled_batch):
    model = build_tiny_automix()
    model.train()
    losses = model.loss(*labelled_batch())
    (losses['loss_clean'] + losses['loss_mix']).backward()
    assert _has_signal(_grads(model.backbone)) and _has_signal(_grads(model.head))
    assert _no_signal(_grads(model.mixer.mix_block))


def test_momentum_encoder_starts_as_copy_and_follows_the_ema_formula(build_tiny_automix):
    model = build_tiny_automix(momentum_buffers='copy')
    online = dict(model.online_network().named_parameters())
    momentum = dict(model.momentum_encoder.module.named_parameters())
    for name, param in online.items():
        assert torch.equal(param, momentum[name]), name
    with torch.no_grad():
        for param in online.values():
            param.add_(torch.randn_like(param))
    for module in model.online_network().modules():  # make a buffer differ too
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.add_(1.0)
    old_k = {name: p.clone() for name, p in momentum.items()}
    model.momentum_update(0.9)
    for name, param in online.items():
        torch.testing.assert_close(momentum[name], 0.9 * old_k[name] + 0.1 * param, rtol=0, atol=1e-6)
    for (name, b_k), (_, b_q) in zip(model.momentum_encoder.module.named_buffers(),
                                     model.online_network().named_buffers()):
        assert torch.equal(b_k, b_q), name
    assert int(model.momentum_encoder.steps) == 1
    model.momentum_update(1.0)  # m = 1 keeps k
    for name in online:
        torch.testing.assert_close(momentum[name], 0.9 * old_k[name] + 0.1 * online[name], rtol=0, atol=1e-6)


def test_momentum_buffers_option_is_validated_and_reaches_the_encoder(build_tiny_automix,
                                                                     linear_bn_with_unit_weights):
    with pytest.raises(ValueError, match="buffers must be 'copy'.*or 'own'"):
        MomentumEncoder(linear_bn_with_unit_weights(), buffers='ema')
    with pytest.raises(ValueError, match='momentum_buffers'):
        build_tiny_automix(momentum_buffers='q')
    model = build_tiny_automix(momentum_buffers='own')
    assert model.momentum_encoder.buffers_mode == 'own'
    assert build_tiny_automix(momentum_buffers='copy').momentum_encoder.buffers_mode == 'copy'
    assert build_tiny_automix().momentum_encoder.buffers_mode == 'own'  # the default (docs/automix.md)


def test_automix_own_buffers_come_from_the_training_forwards_of_k(build_tiny_automix, labelled_batch):
    model = build_tiny_automix(momentum_buffers='own')
    model.train()
    initial = {name: b.clone() for name, b in model.momentum_encoder.module.named_buffers()}
    model.momentum_update(0.9)
    for name, buffer in model.momentum_encoder.module.named_buffers():
        assert torch.equal(buffer, initial[name]), name
    model.loss(*labelled_batch())  # k: stages up to layer3 on the clean batch, then a full forward on the mixed batch
    k_bn = model.momentum_encoder.module[0].layer4[0].bn1
    assert not torch.equal(k_bn.running_mean, initial['0.layer4.0.bn1.running_mean'])
    for name, buffer in model.momentum_encoder.module.named_buffers():
        if name.endswith('num_batches_tracked'):
            expected = 1 if '.layer4.' in name else 2
            assert int(buffer) == expected, name
    q_stats = dict(model.online_network().named_buffers())
    model.momentum_update(0.9)
    assert not torch.equal(k_bn.running_mean, q_stats['0.layer4.0.bn1.running_mean'])


def _train_step(model, wrapper, labelled_batch):
    inputs, samples = labelled_batch()
    return model.train_step(dict(inputs=list(inputs), data_samples=samples), wrapper)


def _trainable(build_tiny_automix, **overrides):
    from mmengine.optim import OptimWrapper
    model = build_tiny_automix(data_preprocessor=dict(type='OpenSetDataPreprocessor'), **overrides)
    return model.train(), OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01))


def test_a_step_without_momentum_update_since_the_last_one_raises(build_tiny_automix, labelled_batch):
    model, wrapper = _trainable(build_tiny_automix)
    _train_step(model, wrapper, labelled_batch)  # the first step of the process: nothing to compare with
    model.momentum_update(0.999)
    _train_step(model, wrapper, labelled_batch)
    with pytest.raises(RuntimeError, match='MomentumPipelineHook is missing.*default_hooks.momentum_pipeline'):
        _train_step(model, wrapper, labelled_batch)
    model.momentum_update(0.999)
    _train_step(model, wrapper, labelled_batch)
    # the loss path (DDP's wrapper calls loss instead of train_step) is checked too
    with pytest.raises(RuntimeError, match='MomentumPipelineHook is missing'):
        model.loss(*labelled_batch())


def test_momentum_check_skips_evaluation_and_the_first_step_after_a_resume(build_tiny_automix, labelled_batch):
    model, wrapper = _trainable(build_tiny_automix)
    _train_step(model, wrapper, labelled_batch)
    model.momentum_update(0.999)
    _train_step(model, wrapper, labelled_batch)
    model.momentum_update(0.999)
    model.eval()
    model.val_step(dict(inputs=list(labelled_batch()[0]),
                        data_samples=labelled_batch()[1]))  # predict: no draws, no check
    model.loss(*labelled_batch())  # eval mode: not a training step
    model.loss(*labelled_batch())
    resumed, resumed_wrapper = _trainable(build_tiny_automix)
    resumed.load_state_dict(model.state_dict())
    assert int(resumed.momentum_encoder.steps) == 2
    _train_step(resumed, resumed_wrapper, labelled_batch)  # a new process (or model) starts its count afresh
    with pytest.raises(RuntimeError, match='MomentumPipelineHook'):
        _train_step(resumed, resumed_wrapper, labelled_batch)


def test_momentum_mix_contract(build_tiny_automix, labelled_batch):
    from openmixosr.models.algorithms import MomentumMixMixin
    from openmixosr.models.paired_mixers import LearnedMaskMixer
    model = build_tiny_automix()
    assert isinstance(model, MomentumMixMixin)
    assert model.required_hooks == ('MomentumPipelineHook', 'MaskLossScheduleHook')
    assert isinstance(model.momentum_encoder, MomentumEncoder) and isinstance(model.mixer, LearnedMaskMixer)
    assert model.mixer.mix_layer == 'layer3' and model.mixer.alpha == 2.0 and model.mixer.feature_norm == 'none'
    model.train()
    inputs = labelled_batch()[0]
    features = model.mix_features(inputs)
    assert not features.requires_grad
    torch.testing.assert_close(features, forward_until(model.momentum_encoder.module[0], inputs, 'layer3'))
    draws = model.training_draws(inputs)
    assert draws.generated.mask.requires_grad and draws.generated.generation is not None
    assert not draws.classified.mask.requires_grad and draws.classified.generation is None
    assert draws.classified.mask.shape == (8, 2, 16, 16)
    assert isinstance(draws.lam, float)  # the drawn lam_bb, not the masks' means
    assert not torch.allclose(draws.classified.lam, torch.full((8, ), draws.lam))


def test_draws_are_lam_mb_j_mb_lam_bb_j_bb_then_the_masks(build_tiny_automix, labelled_batch):
    # The random draws of a step in the Momentum Pipeline's order: both (lam, j), then the masks, whose Mix Block+
    # draws dropout masks of its own; a mixer that drew (lam_mb, j_mb), s_mb, then (lam_bb, j_bb), s_bb would give
    # other masks and another training curve. Reproduced by hand on a copy of the model.
    import numpy as np
    from openmixosr.models.utils import mask_mix
    block = dict(type='MixBlockPlus', in_channels=32, nonlinear_value=True)
    model, reference = build_tiny_automix(mix_block=block).train(), build_tiny_automix(mix_block=block).train()
    inputs = labelled_batch()[0]
    np.random.seed(5)
    torch.manual_seed(5)
    draws = model.training_draws(inputs)
    np.random.seed(5)
    torch.manual_seed(5)
    features = reference.mix_features(inputs)
    lam_mb, index_mb = float(np.random.beta(2.0, 2.0)), torch.randperm(8)
    lam_bb, index_bb = float(np.random.beta(2.0, 2.0)), torch.randperm(8)
    mask_mb = reference.mixer.mix_block(features, lam_mb, index_mb, (16, 16))['mask']
    with torch.no_grad():
        mask_bb = reference.mixer.mix_block(features, lam_bb, index_bb, (16, 16))['mask']
    assert draws.generated.generation['drawn_lam'] == lam_mb and torch.equal(draws.generated.index, index_mb)
    assert draws.lam == lam_bb and torch.equal(draws.classified.index, index_bb)
    assert torch.equal(draws.generated.mask, mask_mb) and torch.equal(draws.classified.mask, mask_bb)
    assert torch.equal(draws.classified.inputs, mask_mix(inputs, mask_bb, index_bb))


def test_nan_mask_raises_with_the_iteration(build_tiny_automix, labelled_batch):
    model = build_tiny_automix()
    model.train()
    with torch.no_grad():
        next(model.mixer.mix_block.parameters()).fill_(float('nan'))
    with pytest.raises(FloatingPointError, match='iteration 1: The Mix Block produced NaN/Inf mask values'):
        model.loss(*labelled_batch())


def test_predict_uses_the_momentum_encoder_unless_told_otherwise(build_tiny_automix, labelled_batch):
    inputs, _ = labelled_batch(4)
    for eval_network in ('momentum', 'online'):
        model = build_tiny_automix(eval_network=eval_network).eval()
        with torch.no_grad():
            for param in model.online_network().parameters():
                param.mul_(1.5)  # make q differ from k
        network = model.momentum_encoder.module if eval_network == 'momentum' else model.online_network()
        samples = model.predict(inputs, [DataSample() for _ in range(4)])
        torch.testing.assert_close(torch.stack([s.pred_logits for s in samples]), network(inputs))
    with pytest.raises(ValueError, match='eval_network'):
        build_tiny_automix(eval_network='teacher')


def test_sequential_backward_step_equals_one_backward_of_the_sum(build_tiny_automix, labelled_batch):
    import numpy as np
    from mmengine.model import BaseModel
    from mmengine.optim import OptimWrapper
    inputs, samples = labelled_batch()
    data = dict(inputs=list(inputs), data_samples=samples)
    results = []
    for step in (lambda m, d, w: m.train_step(d, w), lambda m, d, w: BaseModel.train_step(m, d, w)):
        model = build_tiny_automix(data_preprocessor=dict(type='OpenSetDataPreprocessor'))
        model.train()
        wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
        torch.manual_seed(3)
        np.random.seed(3)
        log_vars = step(model, dict(data), wrapper)
        results.append((model.state_dict(), log_vars))
    (sequential, seq_log), (summed, sum_log) = results
    for key in summed:
        torch.testing.assert_close(sequential[key], summed[key], rtol=1e-5, atol=1e-6, msg=key)
    torch.testing.assert_close(seq_log['loss'], sum_log['loss'])
    assert set(seq_log) == set(sum_log)


def _q_and_k_apart(model):
    """Perturb q after init, then one momentum step with m = 0.5: k is halfway between the initial q and the new q."""
    generator = torch.Generator().manual_seed(11)
    with torch.no_grad():
        for param in model.online_network().parameters():
            param.add_(0.5 * param.abs().mean() * torch.randn(param.shape, generator=generator))
    model.momentum_update(0.5)
    q_params = list(model.online_network().parameters())
    k_params = list(model.momentum_encoder.module.parameters())
    assert any(not torch.equal(p_q, p_k) for p_q, p_k in zip(q_params, k_params))


def _capture_draws(model):
    """Record the draws of the next loss call (lam, pairings, masks) by wrapping ``training_draws``."""
    captured = {}
    draw = model.training_draws

    def recording(inputs):
        draws = draw(inputs)
        captured.update(generated=draws.generated, classified=draws.classified, lam=draws.lam)
        return draws

    model.training_draws = recording
    return captured


def _hand_mixup_ce(logits, labels, index, lam):
    """``mean_n [lam * -log p(y_n) + (1 - lam) * -log p(y_index[n])]`` written with plain torch ops."""
    log_p = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    rows = torch.arange(logits.size(0))
    return (-lam * log_p[rows, labels] - (1 - lam) * log_p[rows, labels[index]]).mean()


@pytest.mark.parametrize('block', [dict(type='MixBlock', in_channels=32),
                                   dict(type='MixBlockPlus', in_channels=32)])
def test_generation_loss_is_mixup_ce_through_the_momentum_encoder_not_q(block, build_tiny_automix, labelled_batch):
    # loss_generation = MCE(k(s[:, 0] x + s[:, 1] x[j_mb]), y, j_mb, lam_mb) with k the momentum encoder; q and k are
    # made to differ so the two recomputations disagree. Catches: the generated images classified by q (or by a
    # k that is not the EMA copy), the wrong draw (j_bb / lam_bb) used for the generation loss, the mask channels
    # swapped. The gradient part catches a generation loss that does not reach the Mix Block through the mask (e.g.
    # a detached mask, hidden in the existing test by loss_mask's own gradient) or that also reaches q or k.
    model = build_tiny_automix(mix_block=block)
    model.train()
    _q_and_k_apart(model)
    captured = _capture_draws(model)
    inputs, samples = labelled_batch()
    labels = torch.tensor([s.gt_label.item() for s in samples])
    losses = model.loss(inputs, samples)
    generated = captured['generated']
    mask, index, lam = generated.mask, generated.index, generated.generation['drawn_lam']
    assert not torch.equal(index, captured['classified'].index) or lam != captured['lam']
    k = model.momentum_encoder.module
    mixed = mask.detach()[:, 0:1] * inputs + mask.detach()[:, 1:2] * inputs[index]
    with torch.no_grad():
        through_k = _hand_mixup_ce(k[2](k[1](k[0](mixed))), labels, index, lam)
        through_q = _hand_mixup_ce(model.head(model.neck(model.backbone(mixed))), labels, index, lam)
    torch.testing.assert_close(losses['loss_generation'], through_k, rtol=1e-5, atol=1e-6)
    assert abs(through_k.item() - through_q.item()) > 1e-3  # q and k differ enough for the check to mean something

    # Gradient of loss_generation alone: equal to the hand-made loss's (through the same graph-attached mask and
    # k), nonzero on the Mix Block, absent on q and k.
    block_params = [p for p in model.mixer.mix_block.parameters() if p.requires_grad]
    by_model = torch.autograd.grad(losses['loss_generation'], block_params, retain_graph=True, allow_unused=True)
    hand = _hand_mixup_ce(model.momentum_encoder.module(mask[:, 0:1] * inputs + mask[:, 1:2] * inputs[index]),
                          labels, index, lam)
    by_hand = torch.autograd.grad(hand, block_params, retain_graph=True, allow_unused=True)
    assert _has_signal(by_model)
    for g_model, g_hand in zip(by_model, by_hand):
        if g_hand is None:
            assert g_model is None or g_model.abs().sum() == 0
        else:
            torch.testing.assert_close(g_model, g_hand, rtol=1e-4, atol=1e-7)
    losses['loss_generation'].backward()
    assert _no_signal(_grads(model.backbone)) and _no_signal(_grads(model.neck)) and _no_signal(_grads(model.head))
    assert all(p.grad is None and not p.requires_grad for p in model.momentum_encoder.parameters())


def test_mix_features_with_running_statistics_leave_k_in_train_mode(build_tiny_automix):
    """mix_feature_stats='running': k's backbone makes the Mix Block features in eval mode (running statistics, no
    update of them), then goes back to train mode; 'batch' (default) normalises with the batch's statistics."""
    from openmixosr.models.utils.mask_draws import momentum_features
    model = build_tiny_automix()
    model.train()
    backbone = model.momentum_encoder.module[0]
    with torch.no_grad():
        for name, buffer in backbone.named_buffers():
            if 'running_mean' in name:
                buffer.add_(0.3)
    inputs = torch.randn(4, 3, 16, 16)
    before = {name: buffer.clone() for name, buffer in backbone.named_buffers()}
    with torch.no_grad():
        running = momentum_features(backbone, inputs, model.mixer.mix_layer, 'running')
        assert backbone.training and all(m.training for m in backbone.modules())
        for name, buffer in backbone.named_buffers():
            assert torch.equal(buffer, before[name]), name
        backbone.eval()
        expected = forward_until(backbone, inputs, model.mixer.mix_layer)
        backbone.train()
        batch = momentum_features(backbone, inputs, model.mixer.mix_layer, 'batch')
    torch.testing.assert_close(running, expected)
    assert not torch.allclose(running, batch, atol=1e-3)
    with pytest.raises(ValueError, match='mix_feature_stats'):
        build_tiny_automix(mix_feature_stats='eval')


def test_a_hand_made_mixer_mixes_qs_batch_and_trains_nothing(build_tiny_automix, labelled_batch):
    # AutoMix with PairedCutMix: CE(q(x)) + MCE(q(x_cutmix), y, j, lam) with CutMix's own (corrected) lam, no
    # generation loss, no features of k, k still the momentum copy that is evaluated.
    import numpy as np
    from mmengine.optim import OptimWrapper
    from openmixosr.models.paired_mixers import PairedCutMix
    from openmixosr.models.utils.step_passes import NetworkPasses
    model = build_tiny_automix(mixer=dict(type='PairedCutMix', alpha=1.0)).train()
    assert model.required_hooks == ('MomentumPipelineHook', ) and not model.mixer_takes_features
    passes = model.step_passes()['step'].networks
    assert set(passes) == {'online', 'momentum'} and passes['momentum'] == NetworkPasses()
    inputs, samples = labelled_batch()
    labels = torch.cat([sample.gt_label for sample in samples])
    np.random.seed(2)
    torch.manual_seed(2)
    losses = model.loss(inputs, samples)
    assert set(losses) == {'loss_clean', 'loss_mix'}
    np.random.seed(2)
    torch.manual_seed(2)
    mixed = PairedCutMix(alpha=1.0)(inputs)
    with torch.no_grad():
        expected = _hand_mixup_ce(model.online_network()(mixed.inputs), labels, mixed.index, mixed.lam)
    torch.testing.assert_close(losses['loss_mix'].detach(), expected, rtol=1e-5, atol=1e-6)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    model.momentum_update(0.999)
    log_vars = model.train_step(dict(inputs=list(inputs), data_samples=samples), wrapper)
    assert set(log_vars) == {'loss', 'loss_clean', 'loss_mix'}


def test_a_mixer_asking_for_what_automix_does_not_give_is_refused(build_tiny_automix):
    from openmixosr.models.paired_mixers import PairedMixer

    class NeedsTeacherLogits(PairedMixer):
        mixer_inputs = ('teacher_logits', )

        def forward(self, inputs, teacher_logits=None):
            raise NotImplementedError

    with pytest.raises(ValueError, match=r"needs \['teacher_logits'\].*offers \['features'\]"):
        build_tiny_automix(mixer=dict(type=NeedsTeacherLogits))

    class FeaturesWithoutStage(NeedsTeacherLogits):
        mixer_inputs = ('features', )

    with pytest.raises(ValueError, match='names no `mix_layer`'):
        build_tiny_automix(mixer=dict(type=FeaturesWithoutStage))


def test_a_head_loss_other_than_plain_cross_entropy_is_refused(build_tiny_automix):
    """AutoMix computes CE and the mixup CE itself; a head loss it would ignore stops the build."""
    head = dict(type='LinearClsHead', num_classes=4, in_channels=64, loss=dict(type='CrossEntropyLoss', use_soft=True))
    with pytest.raises(ValueError, match=r"AutoMix: model\.head\.loss is CrossEntropyLoss with use_soft=True"):
        build_tiny_automix(head=head)
    build_tiny_automix(head=dict(head, loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
