"""DeviceAwareDDP wraps a CPU model in a real (single-process gloo) group and keeps its step working."""
import socket

import pytest
import torch
import torch.distributed as dist
from mmengine.model import BaseModel

from openmixosr.registry import MODEL_WRAPPERS


class _Linear(BaseModel):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 2)

    def forward(self, inputs, labels=None, mode='tensor'):
        logits = self.fc(inputs)
        if mode == 'loss':
            return dict(loss=torch.nn.functional.cross_entropy(logits, labels))
        return logits


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


@pytest.fixture
def gloo_group(monkeypatch):
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', str(free_port()))  # tests may run in parallel (pytest-xdist)
    dist.init_process_group('gloo', rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def test_cpu_model_is_wrapped_without_device_ids(gloo_group):
    model = _Linear()
    # The runner passes device_ids=[LOCAL_RANK]; a plain DDP would reject it for a CPU module.
    wrapped = MODEL_WRAPPERS.build(dict(type='DeviceAwareDDP'), default_args=dict(module=model, device_ids=[0]))
    assert wrapped.device_ids is None
    from mmengine.optim import OptimWrapper
    optim_wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    before = model.fc.weight.detach().clone()
    data = dict(inputs=torch.randn(4, 3), labels=torch.tensor([0, 1, 0, 1]))
    log_vars = wrapped.train_step(data, optim_wrapper)
    assert torch.isfinite(log_vars['loss'])
    assert not torch.equal(before, model.fc.weight)


def test_plain_ddp_would_fail_on_cpu(gloo_group):
    # Guards the reason the wrapper exists: if torch ever accepts this, the wrapper can go.
    with pytest.raises((ValueError, RuntimeError, AssertionError)):
        torch.nn.parallel.DistributedDataParallel(_Linear(), device_ids=[0])
