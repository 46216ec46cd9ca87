"""A checkpoint written by plain MMEngine (its own Runner and CheckpointHook) under OpenMixOSR.

Such a file holds MMEngine's message hub (``HistoryBuffer`` objects, whose pickle needs ``builtins.getattr``) and
numpy arrays in its meta. OpenMixOSR loads its weights without unpickling code (``load_from``, ``resume``,
``SafePretrained``), and importing OpenMixOSR leaves MMEngine's own loading (``Pretrained``) exactly as it was.
"""
import io
import itertools
import json
import logging
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from mmengine.dataset import BaseDataset
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel, initialize
from mmengine.runner import CheckpointLoader, Runner
from mmengine.runner import checkpoint as mmengine_checkpoint
from torch import nn

from openmixosr.engine import OpenMixOSRRunner, load_weights_only
from openmixosr.utils.checkpoint_io import OmittedHistoryBuffer
from tests.helpers.run_tool import REPO_ROOT

_RUNS = itertools.count()


class _Dataset(BaseDataset):
    """Eight 4-d samples, labels 0/1; the metainfo holds a numpy array (it ends up in the checkpoint's meta)."""

    METAINFO = dict(classes=('a', 'b'), palette=np.array([[0, 0, 0], [255, 255, 255]], dtype=np.uint8))

    def __init__(self):
        super().__init__(serialize_data=False)

    def load_data_list(self):
        return [dict(inputs=torch.full((4, ), float(i)), gt_label=i % 2) for i in range(8)]


class _Model(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, inputs, gt_label=None, mode='tensor', **unused):
        logits = self.fc(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss=logits.pow(2).mean())
        if mode == 'predict':
            return [dict(pred=row) for row in logits]
        return logits


class _Count(BaseMetric):

    def process(self, data_batch, data_samples):
        self.results.extend(data_samples)

    def compute_metrics(self, results):
        return dict(count=len(results))


def _loader():
    return dict(dataset=_Dataset(), batch_size=4, num_workers=0, sampler=dict(type='DefaultSampler', shuffle=False))


def _config(tmp_path, train=True, max_epochs=1, **cfg):
    run = next(_RUNS)
    config = dict(model=_Model(), work_dir=str(tmp_path / f'run{run}'), experiment_name=f'plain_mmengine_{run}',
                  log_level='WARNING', **cfg)
    if train:
        config.update(train_dataloader=_loader(), train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
                      optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)))
    return config


@pytest.fixture(scope='module')
def plain(tmp_path_factory):
    """One epoch of MMEngine's own Runner, CheckpointHook and scope: its epoch_1.pth and trained weights."""
    tmp_path = tmp_path_factory.mktemp('plain_mmengine')
    runner = Runner(**_config(tmp_path, default_scope='mmengine',
                              default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1))))
    runner.train()
    path = f'{runner.work_dir}/epoch_1.pth'
    with open(path, 'rb') as file:
        assert b'HistoryBuffer' in file.read()  # MMEngine's message hub, as MMEngine pickles it
    return dict(path=path, weights={key: value.clone() for key, value in runner.model.state_dict().items()})


def _assert_weights(model, weights):
    for key, value in model.state_dict().items():
        torch.testing.assert_close(value, weights[key], rtol=0, atol=0)


def test_the_file_is_what_mmengine_writes(plain):
    checkpoint = load_weights_only(plain['path'])
    assert isinstance(checkpoint['message_hub']['log_scalars']['train/loss'], OmittedHistoryBuffer)
    np.testing.assert_array_equal(checkpoint['meta']['dataset_meta']['palette'], _Dataset.METAINFO['palette'])
    with pytest.raises(pickle.UnpicklingError):  # torch's default (weights_only since 2.6) refuses it
        torch.load(plain['path'])


def test_load_from_loads_its_weights(plain, tmp_path):
    runner = OpenMixOSRRunner(**_config(tmp_path, train=False, default_scope='openmixosr', load_from=plain['path'],
                                        test_dataloader=_loader(), test_evaluator=[_Count()], test_cfg=dict()))
    assert runner.test() == dict(count=8)
    _assert_weights(runner.model, plain['weights'])


def test_resume_continues_without_its_log_history(plain, tmp_path):
    runner = OpenMixOSRRunner(**_config(tmp_path, max_epochs=2, default_scope='openmixosr', resume=True,
                                        load_from=plain['path'],
                                        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1))))
    log = io.StringIO()
    handler = logging.StreamHandler(log)
    runner.logger.addHandler(handler)
    try:
        runner.train()
    finally:
        runner.logger.removeHandler(handler)
    assert runner.epoch == 2 and runner.iter == 4  # one more epoch of two iterations
    warnings = [line for line in log.getvalue().splitlines() if 'train/loss' in line]
    assert len(warnings) == 1 and "MMEngine's own CheckpointHook: its log history (" in warnings[0]
    resumed = load_weights_only(f'{runner.work_dir}/epoch_2.pth')  # written by AtomicCheckpointHook: plain history
    np.testing.assert_array_equal(resumed['message_hub']['log_scalars']['train/loss']['count_history'], [1, 1])


def test_safe_pretrained_loads_it(plain):
    model = _Model()
    model.init_cfg = dict(type='SafePretrained', checkpoint=plain['path'])
    model.init_weights()  # as a runner initialises a model
    _assert_weights(model, plain['weights'])
    linear = nn.Linear(4, 2)
    initialize(linear, dict(type='SafePretrained', checkpoint=plain['path'], prefix='fc'))
    _assert_weights(linear, {key[3:]: value for key, value in plain['weights'].items()})


def test_safe_pretrained_refuses_code(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'weight': torch.zeros(2, 4)}, 'payload': (print, )}, path)
    with pytest.raises(pickle.UnpicklingError):
        initialize(nn.Linear(4, 2), dict(type='SafePretrained', checkpoint=str(path)))


def test_mmengine_local_loader_is_left_alone():
    # openmixosr.engine is imported (conftest): MMEngine's loader of local paths is still its own.
    assert CheckpointLoader._get_checkpoint_loader('work_dirs/x/epoch_1.pth') is mmengine_checkpoint.load_from_local


_PRETRAINED_BEFORE_AND_AFTER_IMPORT = textwrap.dedent('''
    import json, sys
    import torch
    from mmengine.model import initialize

    def attempt(path, prefix):
        module = torch.nn.Linear(4, 2)
        try:
            initialize(module, dict(type='Pretrained', checkpoint=path, prefix=prefix))
        except Exception as error:
            return type(error).__name__
        return module.weight.tolist()

    plain, with_numpy, weights = sys.argv[1:]
    cases = [(plain, None), (plain, 'fc.'), (with_numpy, 'fc.'), (weights, 'fc.')]
    before = [attempt(*case) for case in cases]
    import openmixosr
    from openmixosr.utils import register_all_modules
    register_all_modules()
    print(json.dumps(dict(before=before, after=[attempt(*case) for case in cases])))
''')


def test_pretrained_behaves_the_same_after_importing_openmixosr(plain, tmp_path):
    # Through MMEngine's own `Pretrained`: the file MMEngine wrote, the weights with numpy meta (no message hub), and
    # the weights alone (tensors only).
    with_numpy, weights = tmp_path / 'with_numpy.pth', tmp_path / 'weights.pth'
    torch.save({'state_dict': plain['weights'], 'meta': dict(palette=_Dataset.METAINFO['palette'])}, with_numpy)
    torch.save({'state_dict': plain['weights']}, weights)
    result = subprocess.run(
        [sys.executable, '-c', _PRETRAINED_BEFORE_AND_AFTER_IMPORT, plain['path'], str(with_numpy), str(weights)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=True)
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome['after'] == outcome['before']
    # The state with MMEngine 0.10 and torch >= 2.6, which OpenMixOSR leaves as it is: `Pretrained` refuses a file
    # holding numpy arrays or a message hub (torch's default allow-list has neither) and loads plain weights.
    assert outcome['before'] == ['UnpicklingError'] * 3 + [plain['weights']['fc.weight'].tolist()]
