"""Mixed precision with MMEngine's AmpOptimWrapper (what ``tools/train.py --amp`` builds on a GPU), run on the CPU
through tests/helpers/cpu_amp.py: every model family's training step in float16 (loss scaling) and bfloat16, the
scaled multi-backward steps of AutoMix / AMix, the scaler's skipped steps and NonFiniteLossHook."""
import importlib.util
import math
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

from openmixosr.engine.hooks import NonFiniteLossHook
from openmixosr.engine.optim_wrapper import CPUAutocastOptimWrapper, mixed_precision
from openmixosr.registry import MODELS
from tests.helpers.cpu_amp import CPUAmpOptimWrapper  # noqa: F401  (registers the test double)
from tests.helpers.device_rules import SimulatedDevice
from tests.helpers.run_tool import REPO_ROOT

#: One shipped config per model family (the embedded-digits ones: 16 px), at a quarter of its width
#: (tools/gpu_check.py's ``narrow``): float16 and bfloat16 are emulated on a CPU without them, many times slower.
FAMILIES = {
    'ce': 'baselines/ce_r18w16_digits.py',
    'cutmix': 'baselines/cutmix_r18w16_digits.py',
    'mixup': 'baselines/mixup_r18w16_digits.py',
    'automix': 'automix/automix_r18w16_digits.py',
    'amix': 'amix/amix_r18w16_digits.py',
    'asym_cutmix': 'asym/r18_digits.py',
    'asym_amix_mask': 'asym/r18_digits_amix_mask.py',
    'mocov2': 'selfsup/mocov2_r18w16_digits.py',
    'amix_i': 'selfsup/amix_i_r18w16_digits.py',
    'amix_c': 'selfsup/amix_c_r18w16_digits.py',
}
BATCH, STEPS = 16, 2


def _narrow(model_cfg: dict) -> dict:
    spec = importlib.util.spec_from_file_location('gpu_check', REPO_ROOT / 'tools' / 'gpu_check.py')
    gpu_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_check)
    return gpu_check.narrow(model_cfg, 4)


def _model_and_config(family):
    cfg = Config.fromfile(REPO_ROOT / 'configs' / FAMILIES[family])
    model_cfg = _narrow(cfg.model.to_dict())
    model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)  # what MMEngine's Runner does
    if model_cfg['type'] == 'AsymmetricDistiller':
        model_cfg.update(teacher_checkpoint=None, p_mix=1.0)  # every step mixed: the learned mixer trains
    torch.manual_seed(0)
    with pytest.warns(UserWarning) if model_cfg['type'] == 'AsymmetricDistiller' else _nothing():
        model = MODELS.build(model_cfg)
    model.init_weights()
    if model_cfg['type'] == 'MoCoAMixCluster':  # what ClusterAssignmentHook does before training
        model.init_memory(BATCH)
        model.memory.copy_(F.normalize(torch.randn(BATCH, model.memory.size(1)), dim=1))
        model.assign_clusters(seed=0)
    return model.train(), cfg


class _nothing:

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _batch(family, seed):
    generator = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (BATCH, 3, 16, 16), generator=generator, dtype=torch.uint8)
    if family in ('mocov2', 'amix_i', 'amix_c'):  # two views, default_collate; samples carry their dataset index
        return dict(inputs=[images, images.flip(-1)],
                    data_samples=[DataSample(metainfo=dict(sample_idx=i)) for i in range(BATCH)])
    return dict(inputs=list(images), data_samples=[DataSample().set_gt_label(i % 6) for i in range(BATCH)])


def _amp_wrapper(model, cfg, dtype, monkeypatch):
    """What ``tools/train.py --amp --amp-dtype DTYPE`` builds on a GPU (one with bfloat16), as its CPU test double."""
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda *args: True)
    wrapper_cfg = mixed_precision(cfg.optim_wrapper, dtype, cuda=True)
    assert wrapper_cfg['type'] == 'AmpOptimWrapper'
    return build_optim_wrapper(model, dict(wrapper_cfg, type='CPUAmpOptimWrapper'))


def _train(model, wrapper, family, steps=STEPS):
    losses = []
    for step in range(steps):
        losses.append(model.train_step(_batch(family, step), wrapper))
        if hasattr(model, 'momentum_update'):  # MomentumPipelineHook's update after each step
            model.momentum_update(0.99)
    return losses


@pytest.mark.parametrize('dtype', ['float16', 'bfloat16'])
@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_every_family_trains_with_amp(family, dtype, monkeypatch):
    # The AMP matrix (model family x float16 / bfloat16): MMEngine's AmpOptimWrapper as --amp configures it, on a
    # simulated GPU (tests/helpers/device_rules.py: the scaler's scale and inf flags live on the device too).
    model, cfg = _model_and_config(family)
    wrapper = _amp_wrapper(model, cfg, dtype, monkeypatch)
    before = [param.detach().clone() for param in model.parameters()]
    simulation = SimulatedDevice()
    simulation.place(model)
    with simulation:
        losses = _train(model, wrapper, family)
    for step_losses in losses:
        for name, value in step_losses.items():
            assert torch.isfinite(value).all(), (name, value)
    moved = any(not torch.equal(old, new) for old, new in zip(before, model.parameters()))
    assert wrapper.inner_count == STEPS  # one count per step, also for the multi-backward steps
    scaler = wrapper.loss_scaler
    if dtype == 'float16':  # the dynamic scale starts at 2^16 and is halved by every step that overflowed (skipped)
        skipped = round(math.log2(2.0**16 / scaler.get_scale()))
        assert scaler.is_enabled() and 0 <= skipped <= STEPS
        assert moved == (skipped < STEPS)
        assert wrapper.state_dict()['loss_scaler']['scale'] == scaler.get_scale()  # checkpoints carry the scale
    else:
        assert moved and not scaler.is_enabled()  # bfloat16: no loss scaling


@pytest.mark.parametrize('family', ['automix', 'asym_amix_mask'])
def test_scaled_multi_backward_step_equals_the_unscaled_one(family):
    # AutoMix takes three backward passes per step; the scaler multiplies each by the step's scale and divides the
    # accumulated gradients once before the update: the update equals bf16 autocast without scaling (a power-of-two
    # scale is exact). The distiller with a trained mixer back-propagates once, through the frozen teacher.
    updates = []
    for wrapper_cfg in (dict(type='CPUAmpOptimWrapper', dtype='bfloat16', loss_scale=2.0**12),
                        dict(type='CPUAutocastOptimWrapper', allow_emulated_bf16=True)):
        model, cfg = _model_and_config(family)
        wrapper = build_optim_wrapper(model, dict(cfg.optim_wrapper, **wrapper_cfg))
        torch.manual_seed(5)
        __import__('numpy').random.seed(5)
        _train(model, wrapper, family, steps=1)
        updates.append([param.detach().clone() for param in model.parameters()])
    assert isinstance(wrapper, CPUAutocastOptimWrapper)
    for scaled, plain in zip(*updates):
        torch.testing.assert_close(scaled, plain, rtol=0, atol=1e-6)


def test_a_step_the_scaler_skips_is_not_a_divergence():
    # float16 gradients overflow at a too large scale: the scaler skips the update and halves the scale, as it does
    # in the first steps of any fp16 run. The losses are finite, so NonFiniteLossHook must let training go on.
    model, cfg = _model_and_config('automix')
    wrapper = build_optim_wrapper(model, dict(cfg.optim_wrapper, type='CPUAmpOptimWrapper', dtype='float16',
                                              loss_scale=dict(init_scale=2.0**60)))
    before = {name: param.detach().clone() for name, param in model.named_parameters()}
    losses, = _train(model, wrapper, 'automix', steps=1)
    assert wrapper.loss_scaler.get_scale() == 2.0**59  # the step was skipped
    for name, param in model.named_parameters():
        assert torch.equal(param, before[name]), name  # no update from inf / NaN gradients
    runner = SimpleNamespace(iter=0, epoch=0, message_hub=SimpleNamespace(get_info=lambda key: None))
    NonFiniteLossHook().after_train_iter(runner, 0, outputs=losses)  # does not raise
    with pytest.raises(FloatingPointError, match='non-finite loss'):  # a real divergence still stops the run
        NonFiniteLossHook().after_train_iter(runner, 0, outputs=dict(losses, loss=torch.tensor(float('nan'))))
