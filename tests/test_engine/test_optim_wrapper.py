"""CPUAutocastOptimWrapper runs the forward pass in bfloat16 and keeps float32 parameters."""
import torch

from openmixosr.registry import OPTIM_WRAPPERS


def test_forward_in_bfloat16_parameters_in_float32(monkeypatch):
    from openmixosr.engine import optim_wrapper  # a CPU with native bfloat16, so that the guard lets it be built
    monkeypatch.setattr(optim_wrapper, 'read_cpuinfo', lambda: dict(model='AMX CPU', flags=frozenset({'amx_bf16'})))
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


def test_bf16_autocast_is_refused_on_a_cpu_without_native_bf16(monkeypatch):
    # On an AVX2-only CPU bf16 autocast is emulated: a ResNet-18 step took 26x longer than in fp32.
    import pytest

    from openmixosr.engine import optim_wrapper
    avx2_only = dict(model='Intel(R) Xeon(R) CPU E5-2690 v4', flags=frozenset({'avx', 'avx2', 'fma'}))
    monkeypatch.setattr(optim_wrapper, 'read_cpuinfo', lambda: avx2_only)
    model = torch.nn.Linear(4, 2)
    config = dict(type='CPUAutocastOptimWrapper', optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(RuntimeError, match='without native bfloat16: Intel\\(R\\) Xeon\\(R\\) CPU E5-2690 v4') as error:
        OPTIM_WRAPPERS.build(config)
    assert 'without --amp' in str(error.value) and 'allow_emulated_bf16' in str(error.value)
    OPTIM_WRAPPERS.build(dict(config, allow_emulated_bf16=True))  # on purpose: a loud warning only

    monkeypatch.setattr(optim_wrapper, 'read_cpuinfo', lambda: dict(avx2_only, flags=frozenset({'avx512_bf16'})))
    OPTIM_WRAPPERS.build(config)
