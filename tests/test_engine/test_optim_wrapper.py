"""CPUAutocastOptimWrapper runs the forward pass in bfloat16 and keeps float32 parameters."""
import torch

from openmixosr.registry import OPTIM_WRAPPERS


def test_forward_in_bfloat16_parameters_in_float32():
    model = torch.nn.Linear(4, 2)
    wrapper = OPTIM_WRAPPERS.build(dict(type='CPUAutocastOptimWrapper',
                                        optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    with wrapper.optim_context(model):
        out = model(torch.randn(3, 4))
    assert out.dtype == torch.bfloat16
    before = model.weight.detach().clone()
    wrapper.update_params(out.float().pow(2).mean())
    assert model.weight.dtype == torch.float32
    assert not torch.equal(before, model.weight)
