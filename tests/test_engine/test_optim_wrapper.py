"""CPUAutocastOptimWrapper runs the forward pass in bfloat16 and keeps float32 parameters; the guard refuses a CPU
without native bfloat16. Every test here fakes the CPU description, so none depends on the host's bfloat16 support."""
import pytest
import torch

from openmixosr.engine import optim_wrapper
from openmixosr.registry import OPTIM_WRAPPERS

AVX2_ONLY = dict(model='Intel(R) Xeon(R) CPU E5-2690 v4', flags=frozenset({'avx', 'avx2', 'fma'}))
SAPPHIRE_RAPIDS = dict(model='Intel(R) Xeon(R) Platinum 8480+', flags=frozenset({'avx512_bf16', 'amx_bf16'}))


@pytest.mark.parametrize('cpu', [AVX2_ONLY, SAPPHIRE_RAPIDS], ids=['emulated_bf16', 'native_bf16'])
def test_forward_in_bfloat16_parameters_in_float32(cpu, monkeypatch):
    # The math, on either kind of CPU: it failed on CPUs without native bfloat16, where the guard refused the wrapper.
    monkeypatch.setattr(optim_wrapper, 'read_cpuinfo', lambda: cpu)
    model = torch.nn.Linear(4, 2)
    wrapper = OPTIM_WRAPPERS.build(dict(type='CPUAutocastOptimWrapper', allow_emulated_bf16=True,
                                        optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    with wrapper.optim_context(model):
        out = model(torch.randn(3, 4))
    assert out.dtype == torch.bfloat16
    before = model.weight.detach().clone()
    wrapper.update_params(out.float().pow(2).mean())
    assert model.weight.dtype == torch.float32
    assert not torch.equal(before, model.weight)


def test_bf16_autocast_is_refused_on_a_cpu_without_native_bf16(monkeypatch):
    # On an AVX2-only CPU bf16 autocast is emulated: a ResNet-18 step took 26x longer than in fp32.
    monkeypatch.setattr(optim_wrapper, 'read_cpuinfo', lambda: AVX2_ONLY)
    model = torch.nn.Linear(4, 2)
    config = dict(type='CPUAutocastOptimWrapper', optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(RuntimeError, match='without native bfloat16: Intel\\(R\\) Xeon\\(R\\) CPU E5-2690 v4') as error:
        OPTIM_WRAPPERS.build(config)
    assert 'without --amp' in str(error.value) and 'allow_emulated_bf16' in str(error.value)
    OPTIM_WRAPPERS.build(dict(config, allow_emulated_bf16=True))  # on purpose: a loud warning only

    monkeypatch.setattr(optim_wrapper, 'read_cpuinfo', lambda: SAPPHIRE_RAPIDS)
    OPTIM_WRAPPERS.build(config)


def test_the_suite_sees_the_same_cpu_on_every_host():
    # tests/conftest.py fakes an AVX2-only CPU for the guard in every test: a test that builds the wrapper without
    # allow_emulated_bf16 (and without its own CPU description) fails on every host, not only on some.
    from openmixosr.utils.cpu import has_native_bf16
    assert has_native_bf16(optim_wrapper.read_cpuinfo()) is False
    with pytest.raises(RuntimeError, match='without native bfloat16: AVX2-only test CPU'):
        OPTIM_WRAPPERS.build(dict(type='CPUAutocastOptimWrapper',
                                  optimizer=torch.optim.SGD(torch.nn.Linear(1, 1).parameters(), lr=0.1)))
