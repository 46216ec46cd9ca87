"""LastEpochsValTrainLoop: which epochs it validates after, with and without a max_epochs override, and the
papers' statistic from the history MMEngine logs."""
import itertools
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import BaseDataset
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from torch import nn

from openmixosr.engine import LastEpochsValTrainLoop, OpenMixOSRRunner
from openmixosr.evaluation import median_of_last_epochs
from openmixosr.registry import DATASETS, METRICS, MODELS

_RUNS = itertools.count()


@DATASETS.register_module()
class _LoopTestDataset(BaseDataset):
    """Four 2-d samples."""

    def __init__(self):
        super().__init__(metainfo=dict(classes=('a', 'b')), serialize_data=False)

    def load_data_list(self):
        return [dict(inputs=torch.full((2, ), float(i)), gt_label=i % 2) for i in range(4)]


@MODELS.register_module()
class _LoopTestModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, inputs, gt_label=None, mode='tensor', **unused):
        logits = self.fc(torch.stack(inputs))
        if mode == 'loss':  # a random term, so that training depends on the global generator
            return dict(loss=(logits + torch.randn_like(logits)).pow(2).mean())
        return [dict(n=1) for _ in inputs]


@METRICS.register_module()
class _CountingMetric(BaseMetric):
    """``top1`` = how many validations ran so far (1, 2, 3, ...): a known value per validated epoch."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def process(self, data_batch, data_samples):
        self.results.extend(data_samples)

    def compute_metrics(self, results):
        self.calls += 1
        return dict(top1=float(self.calls))


class _ValidatedEpochs(Hook):

    def __init__(self):
        self.epochs = []

    def after_val_epoch(self, runner, metrics=None):
        self.epochs.append(runner.epoch)


def _run(tmp_path, train_cfg, options=None, hooks=None):
    loader = dict(dataset=dict(type='_LoopTestDataset'), batch_size=2, num_workers=0,
                  sampler=dict(type='DefaultSampler', shuffle=False))
    cfg = Config(dict(
        model=dict(type='_LoopTestModel'), work_dir=str(tmp_path / f'run{next(_RUNS)}'),
        experiment_name=f'test_loops_{next(_RUNS)}', default_scope='openmixosr', train_dataloader=loader,
        train_cfg=train_cfg, optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)), val_dataloader=loader,
        val_evaluator=dict(type='_CountingMetric'), val_cfg=dict(), randomness=dict(seed=0),
        default_hooks=dict(checkpoint=None, **(hooks or {})), log_processor=dict(by_epoch=True), log_level='WARNING',
        visualizer=dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])))
    if options:
        cfg.merge_from_dict(options)  # what --cfg-options does
    runner = OpenMixOSRRunner.from_cfg(cfg)
    hook = _ValidatedEpochs()
    runner.register_hook(hook)
    runner.train()
    return runner, hook.epochs


def test_validates_on_the_interval_and_after_each_of_the_last_epochs(tmp_path):
    runner, epochs = _run(tmp_path, dict(type='LastEpochsValTrainLoop', max_epochs=13, val_interval=5,
                                         val_last_epochs=4))
    assert isinstance(runner.train_loop, LastEpochsValTrainLoop)
    assert epochs == [5, 10, 11, 12, 13]


def test_a_max_epochs_override_moves_the_last_epochs(tmp_path):
    base = dict(type='LastEpochsValTrainLoop', max_epochs=800, val_interval=10, val_last_epochs=3)
    _, epochs = _run(tmp_path, base, options={'train_cfg.max_epochs': 24})
    assert epochs == [10, 20, 22, 23, 24]
    _, epochs = _run(tmp_path, base, options={'train_cfg.max_epochs': 3})  # no longer than the last epochs
    assert epochs == [1, 2, 3]


def test_plain_loop_cannot_give_the_statistic_and_the_error_says_so(tmp_path):
    """Without the loop (MMEngine's EpochBasedTrainLoop every 5 epochs) the last epochs are missing."""
    runner, epochs = _run(tmp_path, dict(by_epoch=True, max_epochs=12, val_interval=5))
    assert epochs == [5, 10, 12]
    with pytest.raises(ValueError, match=r'no .top1. validation after epochs \[9, 11\]'):
        median_of_last_epochs(_logged_history(runner), 'top1', max_epochs=12, num_epochs=4)


def _logged_history(runner):
    path = Path(runner.log_dir) / 'vis_data' / 'scalars.json'
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_statistic_from_the_history_mmengine_logs(tmp_path):
    runner, epochs = _run(tmp_path, dict(type='LastEpochsValTrainLoop', max_epochs=9, val_interval=4,
                                         val_last_epochs=4))
    assert epochs == [4, 6, 7, 8, 9]  # top1 = 1, 2, 3, 4, 5 in that order
    history = _logged_history(runner)
    assert [record['step'] for record in history if 'top1' in record] == epochs
    assert median_of_last_epochs(history, 'top1', max_epochs=9, num_epochs=4) == 3.5  # median of 2, 3, 4, 5


def test_bad_val_last_epochs(tmp_path):
    with pytest.raises(ValueError, match='val_last_epochs must be >= 1'):
        _run(tmp_path, dict(type='LastEpochsValTrainLoop', max_epochs=3, val_last_epochs=0))


def test_the_extra_validations_leave_training_unchanged_with_the_random_state_hook(tmp_path):
    """Every validation pass draws from torch's global generator (its DataLoader's seed); RandomStateHook (in every
    config's default_hooks) puts the generators back, so the run trains exactly as under the plain loop and its
    last-epoch value is the plain loop's."""
    def weight(train_cfg, hooks):
        runner, _ = _run(tmp_path, train_cfg, hooks=hooks)
        return runner.model.fc.weight.detach().clone()

    plain = dict(by_epoch=True, max_epochs=6, val_interval=3)
    last = dict(type='LastEpochsValTrainLoop', max_epochs=6, val_interval=3, val_last_epochs=3)
    shielded = dict(random_state=dict(type='RandomStateHook'))
    assert torch.equal(weight(plain, shielded), weight(last, shielded))
    assert not torch.equal(weight(plain, {}), weight(last, {}))  # without the hook the extra passes shift the draws
