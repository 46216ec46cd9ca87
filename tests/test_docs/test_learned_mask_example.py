"""The "In your own loop" example of docs/asymmetric_distillation.md runs as written, and trains what it says."""
import re

import torch
from torch import nn

from openmixosr.registry import MODELS
from tests.helpers.run_tool import REPO_ROOT

DOC = REPO_ROOT / 'docs' / 'asymmetric_distillation.md'


def own_loop_example() -> str:
    text = DOC.read_text()
    section = text[text.index('**In your own loop**'):]
    return re.search(r'```python\n(.*?)```', section, re.S).group(1)


def test_own_loop_example_trains_the_mix_block_through_the_frozen_network_and_the_model_on_the_mix():
    torch.manual_seed(0)
    # A frozen ResNet-50 of width 16 (256 channels at layer3, as the example's Mix Block expects) and a student.
    frozen_net = MODELS.build(dict(type='ImageClassifier',
                                   backbone=dict(type='ResNet_CIFAR', depth=50, stem_channels=16, base_channels=16),
                                   neck=dict(type='GlobalAveragePooling'),
                                   head=dict(type='LinearClsHead', num_classes=4, in_channels=512))).eval()
    frozen_net.requires_grad_(False)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 16 * 16, 4))
    namespace = dict(model=model, frozen_net=frozen_net, x=torch.randn(8, 3, 16, 16), y=torch.arange(8) % 4)
    exec(compile(own_loop_example(), str(DOC), 'exec'), namespace)
    loss, mixer, student = namespace['loss'], namespace['mixer'], namespace['student']
    assert loss.dim() == 0 and torch.isfinite(loss)
    assert student.lam.shape == (8, ) and not student.inputs.requires_grad
    loss.backward()
    assert all(param.grad is not None for param in mixer.parameters() if param.requires_grad)
    assert all(param.grad is not None for param in model.parameters())
    assert all(param.grad is None for param in frozen_net.parameters())
