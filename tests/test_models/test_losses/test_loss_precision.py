"""Losses compute in float32 whatever precision their inputs come in (the logits of a float16 / bfloat16 autocast
forward under --amp): the same value as for the float32 copy of the inputs, finite where half precision is not."""
import pytest
import torch

from openmixosr.models.losses import (dist_loss, mixup_cross_entropy, mixup_info_nce, non_parametric_mixup_bce,
                                      pairwise_mixup_bce, soft_target_cross_entropy)


def _inputs(dtype):
    generator = torch.Generator().manual_seed(0)
    logits = (torch.randn(8, 6, generator=generator) * 3).to(dtype)
    teacher = (torch.randn(8, 6, generator=generator) * 3).to(dtype)
    teacher[0] = 0.0  # a uniform teacher row: zero variance, the float16 cosine's eps underflows there
    query = torch.nn.functional.normalize(torch.randn(8, 4, generator=generator), dim=1).to(dtype)
    keys = torch.nn.functional.normalize(torch.randn(8, 4, generator=generator), dim=1).to(dtype)
    queue = torch.nn.functional.normalize(torch.randn(4, 16, generator=generator), dim=0).to(dtype)
    labels, index = torch.arange(8) % 6, torch.roll(torch.arange(8), 1)
    return logits, teacher, query, keys, queue, labels, index


LOSSES = {
    'dist': lambda z, t, q, k, n, y, j: dist_loss(z, t),
    'soft_target_ce': lambda z, t, q, k, n, y, j: soft_target_cross_entropy(z, torch.softmax(t.float(), dim=1)),
    'mixup_ce': lambda z, t, q, k, n, y, j: mixup_cross_entropy(z, y, j, 0.3),
    'pairwise_bce': lambda z, t, q, k, n, y, j: pairwise_mixup_bce(z, y, j, 0.3),
    'mixup_info_nce': lambda z, t, q, k, n, y, j: mixup_info_nce(q, k, j, 0.3, n, 0.2),
    'non_parametric_bce': lambda z, t, q, k, n, y, j: non_parametric_mixup_bce(q, k, j, 0.3, 0.2),
}


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
@pytest.mark.parametrize('name', sorted(LOSSES))
def test_half_precision_inputs_give_the_float32_loss(name, dtype):
    half = _inputs(dtype)
    widened = [value.float() if value.is_floating_point() else value for value in half]
    loss = LOSSES[name](*half)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    torch.testing.assert_close(loss, LOSSES[name](*widened), rtol=1e-5, atol=1e-6)
