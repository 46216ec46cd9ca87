"""AutoMix's Momentum Pipeline: which losses reach which parameters, the EMA arithmetic, the hook's schedules."""
import copy
from types import SimpleNamespace

import pytest
import torch
from mmpretrain.structures import DataSample

from openmixosr.engine.hooks import MomentumPipelineHook
from openmixosr.models.utils.truncated_forward import forward_until
from openmixosr.registry import MODELS

TINY_AUTOMIX = dict(
    type='AutoMix',
    backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8, out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=4, in_channels=64),
    mix_block=dict(type='MixBlock', in_channels=32),
    mix_layer='layer3',
    alpha=2.0,
)


def _model(**overrides):
    cfg = copy.deepcopy(TINY_AUTOMIX)
    cfg.update(overrides)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def _batch(n=8, size=16):
    torch.manual_seed(1)
    inputs = torch.randn(n, 3, size, size)
    samples = [DataSample().set_gt_label(i % 4) for i in range(n)]
    return inputs, samples


def _grads(module):
    return [p.grad for p in module.parameters()]


def _has_signal(grads):
    return any(g is not None and g.abs().sum() > 0 for g in grads)


def _no_signal(grads):
    return all(g is None or g.abs().sum() == 0 for g in grads)


@pytest.mark.parametrize('block', [dict(type='MixBlock', in_channels=32),
                                   dict(type='MixBlockPlus', in_channels=32)])
def test_generation_loss_reaches_only_the_mix_block(block):
    model = _model(mix_block=block)
    model.train()
    losses = model.loss(*_batch())
    (losses['loss_generation'] + losses['loss_mask']).backward()
    assert _has_signal(_grads(model.mix_block))
    assert _no_signal(_grads(model.backbone)) and _no_signal(_grads(model.head))
    assert all(not p.requires_grad for p in model.momentum_encoder.parameters())


def test_classification_loss_reaches_only_the_online_network():
    model = _model()
    model.train()
    losses = model.loss(*_batch())
    (losses['loss_clean'] + losses['loss_mix']).backward()
    assert _has_signal(_grads(model.backbone)) and _has_signal(_grads(model.head))
    assert _no_signal(_grads(model.mix_block))


def test_momentum_encoder_starts_as_copy_and_follows_the_ema_formula():
    model = _model()
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


def test_hook_schedules_at_start_middle_end():
    hook = MomentumPipelineHook()
    assert hook.momentum_at(0, 100) == pytest.approx(0.999)
    assert hook.momentum_at(50, 100) == pytest.approx(0.9995)
    assert hook.momentum_at(100, 100) == pytest.approx(1.0)
    assert hook.mask_loss_weight_at(0, 100) == pytest.approx(0.1)
    assert hook.mask_loss_weight_at(50, 100) == pytest.approx(0.05)
    assert hook.mask_loss_weight_at(100, 100) == pytest.approx(0.0)


def test_hook_drives_the_model():
    calls = []
    model = SimpleNamespace(mix_block=SimpleNamespace(mask_loss_weight=None), momentum_update=calls.append)
    runner = SimpleNamespace(model=model, iter=25, max_iters=100)
    hook = MomentumPipelineHook()
    hook.before_train_iter(runner, 0)
    hook.after_train_iter(runner, 0)
    assert model.mix_block.mask_loss_weight == pytest.approx(0.1 * (1 + 2 ** -0.5) / 2)
    assert calls == [pytest.approx(1 - 0.001 * (1 + 2 ** -0.5) / 2)]


def test_forward_until_stops_after_the_layer():
    model = _model()
    backbone = model.backbone
    called = []
    backbone.layer4.register_forward_hook(lambda *args: called.append('layer4'))
    inputs = torch.randn(2, 3, 16, 16)
    features = forward_until(backbone, inputs, 'layer3')
    assert called == []
    expected = backbone.layer3(backbone.layer2(backbone.layer1(backbone.relu(backbone.norm1(backbone.conv1(inputs))))))
    torch.testing.assert_close(features, expected)
    with pytest.raises(ValueError, match='no submodule'):
        forward_until(backbone, inputs, 'layer9')


def test_nan_mask_raises_with_the_iteration():
    model = _model()
    model.train()
    with torch.no_grad():
        next(model.mix_block.parameters()).fill_(float('nan'))
    with pytest.raises(FloatingPointError, match='iteration 1'):
        model.loss(*_batch())


def test_predict_uses_the_momentum_encoder_unless_told_otherwise():
    inputs, _ = _batch(4)
    for eval_network in ('momentum', 'online'):
        model = _model(eval_network=eval_network).eval()
        with torch.no_grad():
            for param in model.online_network().parameters():
                param.mul_(1.5)  # make q differ from k
        network = model.momentum_encoder.module if eval_network == 'momentum' else model.online_network()
        samples = model.predict(inputs, [DataSample() for _ in range(4)])
        torch.testing.assert_close(torch.stack([s.pred_logits for s in samples]), network(inputs))
    with pytest.raises(ValueError, match='eval_network'):
        _model(eval_network='teacher')


def test_sequential_backward_step_equals_one_backward_of_the_sum():
    import numpy as np
    from mmengine.model import BaseModel
    from mmengine.optim import OptimWrapper
    inputs, samples = _batch()
    data = dict(inputs=list(inputs), data_samples=samples)
    results = []
    for step in (lambda m, d, w: m.train_step(d, w), lambda m, d, w: BaseModel.train_step(m, d, w)):
        model = _model(data_preprocessor=dict(type='OpenSetDataPreprocessor'))
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
