"""ChannelsLastHook converts the model's weights to the channels-last memory format before the run."""
from types import SimpleNamespace

import torch

from openmixosr.engine.hooks import ChannelsLastHook


def test_channels_last_hook_converts_the_model():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3))
    ChannelsLastHook().before_run(SimpleNamespace(model=model))
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last)
