"""Losses that declare their inputs: the check of what is missing and the call by name."""
import pytest
import torch
from torch import nn

from openmixosr.models.utils.declared_inputs import call_with_declared_inputs, missing_inputs


class _Weighted(nn.Module):
    mixup_inputs = ('logits', 'lam', 'index')

    def forward(self, logits, lam, index):
        return logits[index].sum() * lam


def test_missing_inputs_are_listed_in_declared_order():
    assert missing_inputs(_Weighted(), {'logits', 'lam', 'index', 'extra'}) == []
    assert missing_inputs(_Weighted(), {'lam'}) == ['logits', 'index']
    with pytest.raises(TypeError, match='my term does not declare its inputs'):
        missing_inputs(nn.Identity(), {'logits'}, subject='my term')


def test_call_passes_exactly_the_declared_inputs_by_name():
    logits, index = torch.arange(4.0), torch.tensor([1, 0, 3, 2])
    available = dict(logits=logits, lam=0.5, index=index, unused=object())
    assert call_with_declared_inputs(_Weighted(), available).item() == pytest.approx(3.0)
    with pytest.raises(KeyError, match=r"needs \['index'\]"):
        call_with_declared_inputs(_Weighted(), dict(logits=logits, lam=0.5))
