"""The head ``loss`` an algorithm computing its own cross-entropy accepts: plain CE (mmpretrain's default) or none;
anything else would be ignored, so it is refused."""
import re

import pytest
import torch
import torch.nn.functional as F

from openmixosr.models.utils.head_loss import refuse_unused_head_loss, unused_head_loss
from openmixosr.registry import MODELS


def _head(**loss):
    cfg = dict(type='LinearClsHead', num_classes=4, in_channels=8)
    if loss:
        cfg['loss'] = loss
    return MODELS.build(cfg)


@pytest.mark.parametrize('loss', [dict(), dict(type='CrossEntropyLoss'),
                                  dict(type='CrossEntropyLoss', loss_weight=1.0)], ids=['default', 'ce', 'ce_weight_1'])
def test_plain_cross_entropy_is_accepted_and_is_what_the_algorithms_compute(loss):
    """The accepted head loss gives F.cross_entropy's value: refusing the others loses nothing a config relied on."""
    head = _head(**loss)
    assert unused_head_loss(head) is None
    refuse_unused_head_loss(head, 'Owner', 'model.head', 'CE')
    generator = torch.Generator().manual_seed(0)
    logits, labels = torch.randn(6, 4, generator=generator), torch.tensor([0, 1, 2, 3, 0, 1])
    torch.testing.assert_close(head.loss_module(logits, labels), F.cross_entropy(logits, labels))


@pytest.mark.parametrize('loss, described', [
    (dict(type='LabelSmoothLoss', label_smooth_val=0.1), 'LabelSmoothLoss'),
    (dict(type='CrossEntropyLoss', loss_weight=2.0), 'CrossEntropyLoss with loss_weight=2.0'),
    (dict(type='CrossEntropyLoss', use_sigmoid=True), 'CrossEntropyLoss with use_sigmoid=True'),
    (dict(type='CrossEntropyLoss', class_weight=[1.0, 2.0, 1.0, 1.0]),
     'CrossEntropyLoss with class_weight=[1.0, 2.0, 1.0, 1.0]'),
    (dict(type='FocalLoss'), 'FocalLoss'),
])
def test_any_other_head_loss_is_refused_naming_it_and_what_to_do(loss, described):
    head = _head(**loss)
    assert unused_head_loss(head) == described
    with pytest.raises(ValueError, match=rf"Owner: model\.student\.head\.loss is {re.escape(described)}, but Owner "
                                         rf"never calls the head's loss: it computes CE\(S\(x\), y\).*Drop `loss` "
                                         rf"from model\.student\.head"):
        refuse_unused_head_loss(head, 'Owner', 'model.student.head', 'CE(S(x), y)')


def test_a_head_without_a_loss_has_nothing_to_ignore():
    assert unused_head_loss(torch.nn.Linear(8, 4)) is None
