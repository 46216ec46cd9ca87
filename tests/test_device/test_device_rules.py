"""The device-rule simulation (tests/helpers/device_rules.py) refuses what CUDA refuses, allows what CUDA allows,
and catches planted bugs in the real training and evaluation code."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.evaluator import Evaluator
from mmengine.optim import OptimWrapper

from openmixosr.evaluation.metrics import open_set
from openmixosr.models.algorithms import automix
from tests.helpers.device_rules import DEVICE, DeviceRuleError, SimulatedDevice


@pytest.fixture
def placed_linear():
    """``(simulation, Linear(4, 3) on the simulated device)``."""
    simulation = SimulatedDevice()
    return simulation, simulation.place(torch.nn.Linear(4, 3))


def test_host_tensors_mixed_with_device_tensors_are_refused(placed_linear):
    simulation, linear = placed_linear
    batch = torch.randn(2, 4)  # made without device: a host tensor, as from a dataloader
    with simulation:
        with pytest.raises(DeviceRuleError, match=r'linear: a host tensor of shape \(2, 4\) meets a device tensor'):
            linear(batch)
        moved = batch.to(DEVICE)
        out = linear(moved)
        for factory in (lambda: torch.full((2, 3), 1.0), lambda: torch.zeros(2, 3), lambda: torch.ones(2, 3),
                        lambda: torch.tensor([[1.0] * 3] * 2), lambda: torch.arange(3.0)):
            with pytest.raises(DeviceRuleError, match='host tensor'):
                out + factory()
        with pytest.raises(DeviceRuleError):
            F.cross_entropy(out, torch.tensor([0, 1]))
        with pytest.raises(DeviceRuleError, match='host tensor indexed by a device tensor'):
            torch.zeros(2, 3)[torch.randperm(2).to(out.device)]
    assert simulation.is_device(moved) and not simulation.is_device(batch)  # .to made a new tensor; batch stayed


def test_what_cuda_allows_passes(placed_linear):
    simulation, linear = placed_linear
    with simulation:
        out = linear(torch.randn(2, 4).to(DEVICE))
        assert out.device == DEVICE and out.device != torch.device('cpu')  # what code sees: not the host
        assert simulation.is_device(out + torch.full((2, 3), 1.0, device=out.device))
        assert simulation.is_device(out * torch.tensor(2.0))  # a 0-dim host tensor is a scalar
        assert simulation.is_device(out + torch.zeros_like(out))  # *_like follows its input
        assert simulation.is_device(out.new_zeros(3))
        index = torch.randperm(2)  # host draw, then moved: legitimate
        assert simulation.is_device(out[index]) and simulation.is_device(out[index.to(out.device)])
        host = torch.zeros(2, 3)
        host.copy_(out.detach())  # copies cross devices
        host[0] = out[0].detach()
        assert not simulation.is_device(host)
        assert isinstance(out.detach().cpu().numpy(), np.ndarray) and not simulation.is_device(out.cpu())
        assert len(out.tolist()) == 2 and isinstance(out[0, 0].item(), float)
        assert isinstance(float(out.detach().sum()), float)
        out.sum().backward()
        assert simulation.is_device(linear.weight.grad)
        inputs = torch.randn(2, 4).to(DEVICE).requires_grad_(True)
        gradient, = torch.autograd.grad(linear(inputs).sum(), inputs)
        assert simulation.is_device(gradient)


def test_device_tensors_read_as_numpy_are_refused(placed_linear):
    simulation, linear = placed_linear
    with simulation:
        out = linear(torch.randn(2, 4).to(DEVICE)).detach()
        with pytest.raises(DeviceRuleError, match='numpy: a device tensor converted to numpy'):
            out.numpy()
        with pytest.raises(DeviceRuleError, match='__array__'):
            np.asarray(out)


def test_unregistered_tensor_attributes_stay_on_the_host():
    # module.to('cuda') moves parameters and buffers only: a tensor kept as a plain attribute stays behind.
    class Scaled(torch.nn.Module):

        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(2, 2)
            self.scale = torch.ones(2)  # should be a buffer

        def forward(self, x):
            return self.linear(x) * self.scale

    simulation = SimulatedDevice()
    module = simulation.place(Scaled())
    with simulation, pytest.raises(DeviceRuleError, match='mul'):
        module(torch.randn(3, 2).to(DEVICE))


def _automix_step(build_tiny_automix, labelled_batch, simulation):
    model = build_tiny_automix(data_preprocessor=dict(type='OpenSetDataPreprocessor')).train()
    simulation.place(model)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    inputs, samples = labelled_batch()
    with simulation:
        return model.train_step(dict(inputs=list(inputs), data_samples=samples), wrapper)


def test_planted_host_tensor_in_a_loss_is_caught(monkeypatch, build_tiny_automix, labelled_batch):
    # The real step passes; the same step with a loss term made by torch.full without device fails, as on a GPU.
    losses = _automix_step(build_tiny_automix, labelled_batch, SimulatedDevice())
    assert torch.isfinite(losses['loss'])
    real = automix.mixup_cross_entropy

    def planted(logits, labels, index, lam):
        weights = torch.full((logits.size(0), ), 1.0)  # the bug: no device=logits.device
        return (real(logits, labels, index, lam) * weights).mean()

    monkeypatch.setattr(automix, 'mixup_cross_entropy', planted)
    with pytest.raises(DeviceRuleError, match=r'mul: a host tensor of shape \(8,\) meets a device tensor'):
        _automix_step(build_tiny_automix, labelled_batch, SimulatedDevice())


def test_planted_numpy_of_a_device_tensor_is_caught(monkeypatch, build_tiny_automix, labelled_batch):
    # Validation stores the model's outputs; an evaluator that reads them with .numpy() without .cpu() fails.
    def evaluate(simulation):
        model = simulation.place(build_tiny_automix(data_preprocessor=dict(type='OpenSetDataPreprocessor')))
        inputs, samples = labelled_batch()
        for sample in samples[:3]:
            sample.set_gt_label(-1)  # unknown samples
        evaluator = Evaluator(open_set.OpenSetEvaluator())
        with simulation:
            outputs = model.val_step(dict(inputs=list(inputs), data_samples=samples))
            evaluator.process(data_samples=outputs)
            return evaluator.evaluate(len(samples))

    assert 'osr/auroc' in evaluate(SimulatedDevice())
    monkeypatch.setattr(open_set, '_as_numpy', lambda value: value.detach().numpy().astype(np.float32))
    with pytest.raises(DeviceRuleError, match='numpy: a device tensor converted to numpy'):
        evaluate(SimulatedDevice())
