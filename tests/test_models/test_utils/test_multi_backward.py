"""Several backward passes per step count as one iteration of MMEngine's OptimWrapper (the one private access)."""
import torch
from mmengine.optim import OptimWrapper

from openmixosr.models.utils.multi_backward import backward_without_update, uncount_backward


def test_backward_without_update_accumulates_and_does_not_count():
    model = torch.nn.Linear(3, 1)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1.0))
    x = torch.randn(5, 3)
    part_a, part_b = model(x).sum(), model(x).pow(2).sum()
    expected = torch.autograd.grad(part_a + part_b, model.weight, retain_graph=True)[0]
    backward_without_update(wrapper, part_a)
    assert wrapper.inner_count == 0
    before = model.weight.detach().clone()
    wrapper.update_params(part_b)
    torch.testing.assert_close(before - model.weight.detach(), expected)  # lr 1: the step is the summed gradient
    assert wrapper.inner_count == 1


def test_mmengine_counts_one_per_backward_and_uncount_takes_it_back():
    """Guards the adapter: MMEngine's OptimWrapper.backward raises ``inner_count`` by exactly one (0.10.7). If a
    version counts elsewhere or otherwise, this fails before a multi-backward step silently mis-accumulates."""
    model = torch.nn.Linear(2, 1)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    wrapper.backward(model(torch.ones(1, 2)).sum())
    assert wrapper.inner_count == 1
    uncount_backward(wrapper)
    assert wrapper.inner_count == 0


def test_two_part_steps_update_once_per_accumulation_window():
    """With gradient accumulation over 2 iterations, two steps of two backward passes each make one update."""
    model = torch.nn.Linear(2, 1, bias=False)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=1.0), accumulative_counts=2)
    wrapper.initialize_count_status(model, 0, max_counts=4)
    weights = [model.weight.detach().clone()]
    for _ in range(2):
        x = torch.ones(1, 2)
        backward_without_update(wrapper, model(x).sum())
        wrapper.update_params(model(x).sum())
        weights.append(model.weight.detach().clone())
    assert torch.equal(weights[1], weights[0])  # first step: gradients only accumulate
    # second step: one update with the four parts' gradients (each d/dw = x = 1), each scaled by 1 / 2
    torch.testing.assert_close(weights[2], weights[0] - 4 * 0.5 * torch.ones(1, 2))
