"""One loss-weight convention (mmpretrain's): every registered loss module takes ``loss_weight`` (default 1) and
multiplies its output by it; the algorithms add the losses as returned. The weight is applied as a plain factor on the
unweighted loss, the product the distiller used to form with its former ``mu`` / ``eta``, so the floats are the same
bit for bit."""
import inspect

import pytest
import torch
from torch import nn

from openmixosr.models import losses
from openmixosr.registry import MODELS

REGISTERED_LOSSES = sorted(name for name in losses.__all__
                           if inspect.isclass(getattr(losses, name)) and MODELS.get(name) is getattr(losses, name))


def test_every_registered_loss_takes_a_loss_weight_of_one_by_default():
    assert {'DISTLoss', 'CrossMutualInformationLoss', 'InfoNCECrossMutualInformationLoss', 'RelabelLoss',
            'MixupCrossEntropyLoss', 'PairwiseMixupBCELoss', 'MixupInfoNCELoss',
            'NonParametricMixupBCELoss'} <= set(REGISTERED_LOSSES)
    for name in REGISTERED_LOSSES:
        cls = getattr(losses, name)
        assert issubclass(cls, nn.Module), name
        parameter = inspect.signature(cls).parameters.get('loss_weight')
        assert parameter is not None and parameter.default == 1.0, f'{name} must take loss_weight=1.0'


def _cmi_inputs():
    generator = torch.Generator().manual_seed(4)
    student = torch.randn(6, 5, generator=generator)
    teacher = torch.randn(6, 5, generator=generator)
    return student, teacher, torch.tensor([3, 0, 5, 1, 2, 4])


def _features_inputs():
    generator = torch.Generator().manual_seed(5)
    return torch.randn(6, 4, generator=generator), torch.randn(6, 3, generator=generator), torch.tensor(
        [3, 0, 5, 1, 2, 4])


def _relabel_inputs():
    generator = torch.Generator().manual_seed(6)
    logits = torch.randn(6, 4, generator=generator)
    labels = torch.tensor([0, 1, 2, 3, 0, 1])
    return logits, labels, torch.tensor([3, 0, 5, 1, 2, 4])


PER_SAMPLE_LAM = torch.tensor([0.1, 0.9, 0.5, 0.3, 0.7, 1.0])
CONFUSING = torch.tensor([True, False, True, True, False, False])
CASES = {
    'dist_cmi': (dict(type='CrossMutualInformationLoss', tau=2.0), lambda loss, lam: loss(*_cmi_inputs(), lam)),
    'infonce_cmi': (dict(type='InfoNCECrossMutualInformationLoss', student_channels=4, teacher_channels=3),
                    lambda loss, lam: loss(*_features_inputs(), lam)),
    'relabel': (dict(type='RelabelLoss'), lambda loss, lam: loss(*_relabel_inputs(), lam, CONFUSING)),
    'relabel_no_confusing': (dict(type='RelabelLoss'),
                             lambda loss, lam: loss(*_relabel_inputs(), lam, torch.zeros(6, dtype=torch.bool))),
}


@pytest.mark.parametrize('lam', [0.3, PER_SAMPLE_LAM], ids=['batch_lam', 'per_sample_lam'])
@pytest.mark.parametrize('case', sorted(CASES))
@pytest.mark.parametrize('weight', [0.5, 2.0, 0.7])
def test_the_weight_is_a_plain_factor_bit_for_bit(case, weight, lam):
    """``loss_weight=w`` gives exactly ``w * (the loss with weight 1)`` (torch.equal, not a tolerance): what the
    distiller computed as ``mu * L_CMI`` / ``eta * L_relabel`` before the weights moved into the losses."""
    cfg, call = CASES[case]
    torch.manual_seed(0)  # the InfoNCE projections: the same initial weights in both builds
    unweighted = call(MODELS.build(cfg), lam)
    torch.manual_seed(0)
    weighted = call(MODELS.build(dict(cfg, loss_weight=weight)), lam)
    assert torch.equal(weighted, weight * unweighted)
    if case != 'relabel_no_confusing':
        assert not torch.equal(weighted, unweighted)
