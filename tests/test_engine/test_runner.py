"""OpenMixOSRRunner on a toy model: strict loading, known classes per stage, and the checks before the first epoch.

End to end with the real configs and tools: tests/test_tools/test_checkpoint_loading.py.
"""
import itertools
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import BaseDataset
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from torch import nn

from openmixosr.engine import CheckpointMismatchError, KnownClassesMismatchError, OpenMixOSRRunner
from openmixosr.registry import DATASETS, METRICS, MODELS

_RUNS = itertools.count()


@DATASETS.register_module()
class _RunnerTestDataset(BaseDataset):
    """Eight 4-d samples with labels 0/1 (and -1 for unknown ones when ``unknown``), known classes ``classes``."""

    def __init__(self, classes=('a', 'b'), unknown=True):
        self.unknown = unknown
        super().__init__(metainfo=dict(classes=tuple(classes)), serialize_data=False)

    def load_data_list(self):
        labels = [0, 1, 0, 1, -1, -1, 0, 1] if self.unknown else [0, 1] * 4
        return [dict(inputs=torch.full((4, ), float(i)), gt_label=label) for i, label in enumerate(labels)]


@MODELS.register_module()
class _RunnerTestModel(BaseModel):

    def __init__(self, extra=False, teacher_classes=None):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        if extra:
            self.extra = nn.Linear(2, 2)
        if teacher_classes is not None:
            self.source_dataset_metas = {'Teacher checkpoint t.pth': dict(classes=tuple(teacher_classes))}

    def forward(self, inputs, gt_label=None, mode='tensor', **unused):
        logits = self.fc(torch.stack(inputs))
        if mode == 'loss':
            return dict(loss=logits.pow(2).mean())
        if mode == 'predict':
            return [dict(pred_logits=row, gt_label=torch.tensor([label])) for row, label in zip(logits, gt_label)]
        return logits


@METRICS.register_module()
class _RunnerTestMetric(BaseMetric):

    def process(self, data_batch, data_samples):
        self.results.extend(data_samples)

    def compute_metrics(self, results):
        return dict(count=len(results))


def _loader(**dataset):
    return dict(dataset=dict(type='_RunnerTestDataset', **dataset), batch_size=4, num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=False))


def _runner(tmp_path, model=None, train=True, val=None, **cfg):
    config = dict(
        model=dict(type='_RunnerTestModel', **(model or {})),
        work_dir=str(tmp_path / f'run{next(_RUNS)}'),
        experiment_name=f'test_runner_{next(_RUNS)}',
        default_scope='openmixosr',
        test_dataloader=_loader(classes=('a', 'b')),
        test_evaluator=dict(type='_RunnerTestMetric'),
        test_cfg=dict(),
        default_hooks=dict(checkpoint=dict(type='AtomicCheckpointHook', interval=1), logger=None),
        log_level='WARNING',
    )
    if train:
        config.update(train_dataloader=_loader(classes=('a', 'b')), train_cfg=dict(by_epoch=True, max_epochs=1),
                      optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)))
    if val is not None:
        config.update(val_dataloader=_loader(**val), val_evaluator=dict(type='OpenSetEvaluator'), val_cfg=dict())
    config.update(cfg)
    return OpenMixOSRRunner.from_cfg(Config(config))


def _checkpoint(tmp_path, classes=('a', 'b'), extra=False):
    path = tmp_path / f'{"-".join(classes)}{"-extra" if extra else ""}.pth'
    model = _RunnerTestModel(extra=extra)
    torch.save(dict(meta=dict(dataset_meta=dict(classes=classes)), state_dict=model.state_dict()), path)
    return str(path)


def test_test_loads_strictly(tmp_path):
    checkpoint = _checkpoint(tmp_path, extra=True)
    with pytest.raises(CheckpointMismatchError, match=r'2 checkpoint entries have no place in the model \(extra: 2\)'):
        _runner(tmp_path, train=False, load_from=checkpoint).test()
    runner = _runner(tmp_path, train=False, load_from=checkpoint, load_cfg=dict(strict=False))
    assert runner.test() == dict(count=8)


def test_checkpoint_of_other_classes_at_test_time(tmp_path):
    checkpoint = _checkpoint(tmp_path, classes=('c', 'd'))
    with pytest.raises(KnownClassesMismatchError, match="trained on the known classes \\['c', 'd'\\], but the test "
                       "set of this config has \\['a', 'b'\\].*--allow-other-classes"):
        _runner(tmp_path, train=False, load_from=checkpoint).test()
    runner = _runner(tmp_path, train=False, load_from=checkpoint, load_cfg=dict(allow_other_classes=True))
    assert runner.test() == dict(count=8)


def test_other_classes_fine_tune_with_a_warning_but_do_not_resume(tmp_path, caplog):
    checkpoint = _checkpoint(tmp_path, classes=('c', 'd'))
    runner = _runner(tmp_path, load_from=checkpoint)
    runner.train()  # load_from: fine-tuning a checkpoint of other classes is legitimate
    assert runner.epoch == 1
    with pytest.raises(KnownClassesMismatchError):
        _runner(tmp_path, load_from=osp.join(runner.work_dir, 'epoch_1.pth'), resume=True,
                train_dataloader=_loader(classes=('x', 'y'))).train()


def test_teacher_of_other_classes_is_refused_before_the_first_epoch(tmp_path):
    runner = _runner(tmp_path, model=dict(teacher_classes=('c', 'd')))
    with pytest.raises(KnownClassesMismatchError, match="Teacher checkpoint t.pth was trained on the known classes"):
        runner.train()
    assert runner.iter == 0
    runner = _runner(tmp_path, model=dict(teacher_classes=('c', 'd')), load_cfg=dict(allow_other_classes=True))
    runner.train()
    assert runner.epoch == 1
    _runner(tmp_path, model=dict(teacher_classes=('a', 'b'))).train()  # the same classes


def test_empty_unknown_validation_set_fails_before_the_first_epoch(tmp_path):
    with pytest.raises(ValueError, match='validation set has no unknown'):
        _runner(tmp_path, val=dict(unknown=False)).train()
    runner = _runner(tmp_path, val=dict(unknown=True), train_cfg=dict(by_epoch=True, max_epochs=1, val_interval=1))
    runner.train()
    assert 'val/osr/auroc' in runner.message_hub.log_scalars


def test_run_shorter_than_the_warm_up_fails_before_the_first_epoch(tmp_path):
    schedule = [dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1),
                dict(type='CosineAnnealingLR', by_epoch=True, begin=1, T_max=29)]
    runner = _runner(tmp_path, param_scheduler=schedule)
    with pytest.raises(ValueError, match='begins at epoch 1 but train_cfg.max_epochs=1'):
        runner.train()
    assert runner.iter == 0


def test_unknown_load_cfg_key(tmp_path):
    with pytest.raises(ValueError, match="load_cfg has no key 'strikt' \\(did you mean 'strict'\\?\\)"):
        _runner(tmp_path, train=False, load_from=_checkpoint(tmp_path), load_cfg=dict(strikt=False)).test()



def _checkpoint_without_classes(tmp_path, form):
    path = tmp_path / f'{form}.pth'
    state_dict = _RunnerTestModel().state_dict()
    torch.save(state_dict if form == 'state_dict' else dict(meta=dict(epoch=3), state_dict=state_dict), path)
    return str(path)


@pytest.mark.parametrize('form', ['state_dict', 'meta_without_dataset_meta'])
def test_a_checkpoint_without_classes_is_a_caveat_of_the_test_results(tmp_path, form, capsys):
    # Nothing could compare its classes with the test set's: the evaluator learns it from the runner and says so.
    checkpoint = _checkpoint_without_classes(tmp_path, form)
    runner = _runner(tmp_path, train=False, load_from=checkpoint, test_evaluator=dict(type='OpenSetEvaluator'),
                     log_level='INFO')  # the table is logged at INFO
    metrics = runner.test()
    assert 'osr/auroc' in metrics  # loaded and evaluated
    [evaluator] = runner.test_loop.evaluator.metrics
    assert len(evaluator.caveats) == 1
    assert evaluator.caveats[0].startswith(f'Checkpoint {checkpoint} records no known classes') and \
        "those of the test set of this config (2 classes ['a', 'b'])" in evaluator.caveats[0]
    printed = capsys.readouterr().out
    assert f'WARNING - Checkpoint {checkpoint} records no known classes' in printed
    title = printed.index('Open-set results:')
    assert printed[title:].split('\n')[1] == f'!! {evaluator.caveats[0]}'  # the line under the title

    runner = _runner(tmp_path, train=False, load_from=_checkpoint(tmp_path),
                     test_evaluator=dict(type='OpenSetEvaluator'), log_level='INFO')
    runner.test()  # a checkpoint that records its classes: no caveat
    assert runner.test_loop.evaluator.metrics[0].caveats == []
    printed = capsys.readouterr().out
    assert 'Open-set results:' in printed and '!!' not in printed


def test_a_checkpoint_without_classes_is_not_a_caveat_of_fine_tuning_but_one_of_validation(tmp_path, capsys):
    checkpoint = _checkpoint_without_classes(tmp_path, 'state_dict')
    _runner(tmp_path, load_from=checkpoint).train()  # fine-tuning: its classes do not matter
    assert 'records no known classes' not in capsys.readouterr().out
    evaluator = _runner(tmp_path, train=False, val=dict(classes=('a', 'b')), load_from=checkpoint)
    evaluator.val()
    assert evaluator.val_loop.evaluator.metrics[0].caveats[0].startswith(f'Checkpoint {checkpoint} records no known')
    assert "those of the validation set of this config" in evaluator.val_loop.evaluator.metrics[0].caveats[0]


@pytest.fixture
def restore_determinism():
    """Put back the process-wide determinism switches that a deterministic runner turns on."""
    flags = (torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.deterministic,
             torch.backends.cudnn.benchmark)
    yield
    torch.use_deterministic_algorithms(flags[0])
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = flags[1:]


def test_deterministic_randomness_is_honoured(tmp_path, monkeypatch, restore_determinism):
    # randomness.deterministic=True: MMEngine's deterministic switches, plus the cuBLAS workspace setting without which
    # every matrix product raises on a GPU once deterministic algorithms are on; training still runs.
    monkeypatch.delenv('CUBLAS_WORKSPACE_CONFIG', raising=False)
    runner = _runner(tmp_path, randomness=dict(seed=1, deterministic=True))
    assert torch.are_deterministic_algorithms_enabled() and torch.backends.cudnn.deterministic
    assert not torch.backends.cudnn.benchmark
    assert runner.deterministic and os.environ['CUBLAS_WORKSPACE_CONFIG'] == ':4096:8'
    runner.train()
    assert runner.epoch == 1

    monkeypatch.setenv('CUBLAS_WORKSPACE_CONFIG', ':16:8')  # the user's own choice is kept
    _runner(tmp_path, randomness=dict(seed=1, deterministic=True))
    assert os.environ['CUBLAS_WORKSPACE_CONFIG'] == ':16:8'


def test_non_deterministic_randomness_leaves_cublas_alone(tmp_path, monkeypatch, restore_determinism):
    monkeypatch.delenv('CUBLAS_WORKSPACE_CONFIG', raising=False)
    _runner(tmp_path, randomness=dict(seed=1, deterministic=False))
    assert 'CUBLAS_WORKSPACE_CONFIG' not in os.environ
