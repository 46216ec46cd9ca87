"""MomentumEncoder: the EMA of the parameters by hand, and where k's BatchNorm buffers come from ('copy' / 'own')."""
import pytest
import torch

from openmixosr.models.utils.momentum_encoder import MomentumEncoder


@pytest.mark.parametrize('buffers', ['copy', 'own'])
def test_momentum_encoder_parameters_follow_the_ema_by_hand(buffers, linear_bn_with_unit_weights):
    q = linear_bn_with_unit_weights()
    k = MomentumEncoder(q, buffers=buffers)
    with torch.no_grad():
        for param in q.parameters():
            param.fill_(3.0)
    k.update_parameters(q, 0.75)  # 0.75 * 1 + 0.25 * 3 = 1.5
    for param in k.module.parameters():
        assert torch.equal(param, torch.full_like(param, 1.5))
    k.update_parameters(q, 0.5)  # 0.5 * 1.5 + 0.5 * 3 = 2.25
    for param in k.module.parameters():
        assert torch.equal(param, torch.full_like(param, 2.25))
    assert int(k.steps) == 2


def test_momentum_encoder_copy_mode_takes_the_online_buffers(linear_bn_with_unit_weights):
    q = linear_bn_with_unit_weights()
    k = MomentumEncoder(q, buffers='copy')
    q.train()(torch.tensor([[0.0, 1.0], [2.0, 5.0]]))  # moves q's running mean / var and batch count
    k.update_parameters(q, 0.9)
    for (name, b_k), (_, b_q) in zip(k.module.named_buffers(), q.named_buffers()):
        assert torch.equal(b_k, b_q), name
    assert not torch.equal(k.module[1].running_mean, torch.zeros(2))


def test_momentum_encoder_own_mode_keeps_its_buffers_until_its_own_forward(linear_bn_with_unit_weights):
    q = linear_bn_with_unit_weights()
    k = MomentumEncoder(q, buffers='own')
    initial = {name: b.clone() for name, b in k.module.named_buffers()}
    q.train()(torch.tensor([[0.0, 1.0], [2.0, 5.0]]))
    k.update_parameters(q, 0.9)
    for name, buffer in k.module.named_buffers():
        assert torch.equal(buffer, initial[name]), name
    assert not torch.equal(q[1].running_mean, initial['1.running_mean'])
    # k's own train-mode forward: Linear with weights 1 and bias 1 maps both rows to 1 + x1 + x2 = [2, 8] per unit,
    # batch mean 5, unbiased variance 18; BN momentum 0.1 from (0, 1) gives mean 0.1 * 5 = 0.5, var 0.9 + 1.8 = 2.7.
    with torch.no_grad():
        k.module.train()(torch.tensor([[0.0, 1.0], [2.0, 5.0]]))
    torch.testing.assert_close(k.module[1].running_mean, torch.full((2, ), 0.5))
    torch.testing.assert_close(k.module[1].running_var, torch.full((2, ), 2.7))
    assert int(k.module[1].num_batches_tracked) == 1
