"""Every model family trains, validates, tests and fits its open-set scores on a simulated GPU
(tests/helpers/device_rules.py): the whole run of a shipped digits config (data loading, data preprocessor, the
model's steps, its hooks, the open-set evaluator, score fitting) under CUDA's device rules."""
import numpy as np
import pytest
import torch
from mmengine.config import Config

from openmixosr.engine import build_runner
from openmixosr.evaluation.scores import odin_scores
from tests.helpers.device_rules import DEVICE, SimulatedDevice
from tests.helpers.run_tool import REPO_ROOT

CONFIGS = REPO_ROOT / 'configs'
#: One shipped config per model family (the digits ones train on the embedded data, nothing to download).
SUPERVISED = {
    'ce': 'baselines/ce_r18w16_digits.py',
    'cutmix': 'baselines/cutmix_r18w16_digits.py',
    'mixup': 'baselines/mixup_r18w16_digits.py',
    'automix': 'automix/automix_r18w16_digits.py',
    'amix': 'amix/amix_r18w16_digits.py',
    'asym_cutmix': 'asym/r18_digits.py',
    'asym_amix_mask': 'asym/r18_digits_amix_mask.py',  # a Mix Block+ trained through the teacher
}
SELFSUP = {
    'mocov2': 'selfsup/mocov2_r18w16_digits.py',
    'amix_i': 'selfsup/amix_i_r18w16_digits.py',
    'amix_c': 'selfsup/amix_c_r18w16_digits.py',
}
#: Digits test samples of both kinds: known classes (labels 0-5) and unknown ones (-1) in the first 48.
VAL_SAMPLES = 48
#: Scores of every kind that an untrained network can be fitted for: logits only, the final layer, the training set's
#: features (KNN's k fits 16 samples); tests/test_device/test_scores_on_device.py runs every registered score.
SCORES = ['mls', 'react', dict(type='KNNScore', k=5), 'vim']


def _config(name: str, tmp_path) -> Config:
    path = CONFIGS / {**SUPERVISED, **SELFSUP}[name]
    cfg = Config.fromfile(path)
    cfg.work_dir = str(tmp_path)
    cfg.experiment_name = f'device_{name}'
    cfg.param_scheduler = None
    cfg.default_hooks.logger.interval = 1
    cfg.train_dataloader.batch_size = 8
    cfg.train_dataloader.dataset.indices = 16  # two steps
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
    cfg.default_hooks.checkpoint.interval = 1
    if cfg.model.type == 'AsymmetricDistiller':
        cfg.model.teacher_checkpoint = None
        cfg.model.p_mix = 1.0  # every step mixed (a raw step is a plain classifier step)
    if name in SUPERVISED:
        cfg.val_dataloader.dataset.indices = VAL_SAMPLES
        cfg.test_dataloader = cfg.val_dataloader
        cfg.val_evaluator.scores = SCORES  # fitted before validation (FitOpenSetScoresHook), on the device
        cfg.test_evaluator = cfg.val_evaluator
    return cfg


def _run_on_device(cfg: Config, test: bool = False) -> SimulatedDevice:
    """Train (and validate) ``cfg``, then ``test`` the last checkpoint, on the simulated device."""
    runner = build_runner(cfg)
    simulation = SimulatedDevice()
    simulation.place(runner.model)
    with simulation:
        runner.train()
        if test:
            runner.cfg.load_from = str(runner.work_dir) + '/epoch_1.pth'  # the score cache is keyed to it
            runner.test()
    assert next(runner.model.parameters()).device == torch.device('cpu')  # ... and simulated as DEVICE inside
    assert simulation.checked_ops > 1000
    return simulation


@pytest.mark.parametrize('name', sorted(SUPERVISED))
def test_supervised_family_runs_on_a_simulated_gpu(name, tmp_path):
    # Training steps (with the family's hooks), validation and test with every one-pass open-set score fitted on the
    # training set's features: any tensor made on the host and mixed with device tensors, or a device tensor read as
    # numpy, raises DeviceRuleError.
    _run_on_device(_config(name, tmp_path), test=name == 'ce')  # a test step is a validation step; once is enough
    assert (tmp_path / 'epoch_1.pth').is_file()


@pytest.mark.parametrize('name', sorted(SELFSUP))
def test_selfsup_family_runs_on_a_simulated_gpu(name, tmp_path):
    # MoCo v2's queue, AMix-I's Mix Block+ and AMix-C's memory, k-means pseudo labels and centroids (filled and
    # assigned by ClusterAssignmentHook) on the device.
    cfg = _config(name, tmp_path)
    cfg.train_dataloader.batch_size = 16  # the 512-entry queue takes whole batches; 10 clusters need 10 samples
    cfg.train_dataloader.dataset.indices = 32
    _run_on_device(cfg)


def test_odin_scores_on_a_simulated_gpu(build_tiny_distiller):
    # ODIN runs the network in the loop: forward, backward to the input, forward again, on the device.
    model = build_tiny_distiller().eval()
    simulation = SimulatedDevice()
    simulation.place(model)
    inputs = simulation.to_device(torch.randn(4, 3, 16, 16))
    with simulation:
        scores = odin_scores(model.extract_logits, inputs)
    assert isinstance(scores, np.ndarray) and scores.shape == (4, ) and np.isfinite(scores).all()
    assert inputs.device == torch.device('cpu') and DEVICE != torch.device('cpu')
