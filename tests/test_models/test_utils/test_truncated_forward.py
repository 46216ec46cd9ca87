"""forward_until: a backbone's forward that stops after a named stage."""
import pytest
import torch

from openmixosr.models.utils.truncated_forward import forward_until


def test_forward_until_stops_after_the_layer(build_tiny_automix):
    model = build_tiny_automix()
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
