"""Checks that fail before the first epoch instead of at the first validation or the scheduler's build."""
from types import SimpleNamespace

import torch
from mmengine.config import Config
from mmpretrain.structures import DataSample

from openmixosr.engine.start_checks import (check_required_hooks, default_hook_key, open_set_data_problem,
                                           schedule_problems)
from openmixosr.evaluation import OpenSetEvaluator
from openmixosr.registry import DATASETS
from tests.helpers.run_tool import REPO_ROOT

CE = REPO_ROOT / 'configs/baselines/ce_r18w16_digits.py'


def test_run_shorter_than_the_warm_up():
    # 1-epoch warm-up, then cosine from epoch 1: MMEngine failed with "end should be larger than begin".
    cfg = Config.fromfile(CE)
    cfg.train_cfg.max_epochs = 1
    [problem] = schedule_problems(cfg)
    assert 'CosineAnnealingLR' in problem and 'max_epochs=1' in problem and 'LinearLR (epochs 0-1)' in problem
    cfg.train_cfg.max_epochs = 2
    assert schedule_problems(cfg) == []
    assert schedule_problems(Config.fromfile(REPO_ROOT / 'configs/baselines/ce_r18_cifar10.py')) == []


def test_open_set_evaluation_data_needs_unknown_samples():
    evaluator = SimpleNamespace(metrics=[OpenSetEvaluator()])
    cfg = Config.fromfile(CE).test_dataloader.dataset
    cfg.pipeline = []
    dataset = DATASETS.build(cfg)
    assert open_set_data_problem(dataset, evaluator, 'validation', 'val_dataloader.dataset') is None
    cfg.with_unknown = False
    problem = open_set_data_problem(DATASETS.build(cfg), evaluator, 'validation', 'val_dataloader.dataset')
    assert 'no unknown (label -1) samples (323 known, 0 unknown)' in problem
    assert 'with_unknown=True' in problem and 'val_dataloader.dataset' in problem
    assert open_set_data_problem(dataset, SimpleNamespace(metrics=[]), 'validation', 'x') is None  # no open-set metric


def test_required_hooks_are_checked_with_the_default_hooks_key():
    import pytest
    import torch
    from mmengine.hooks import IterTimerHook

    from openmixosr.engine.hooks import ClusterAssignmentHook, MomentumPipelineHook

    class NeedsBoth(torch.nn.Module):
        required_hooks = ('MomentumPipelineHook', 'ClusterAssignmentHook')

    class CustomPipeline(MomentumPipelineHook):  # a subclass stands in for the hook it extends
        pass

    model = NeedsBoth()
    with pytest.raises(ValueError) as error:
        check_required_hooks(torch.nn.DataParallel(model), [IterTimerHook()])
    message = str(error.value)
    assert message.startswith('NeedsBoth cannot train without MomentumPipelineHook, ClusterAssignmentHook')
    assert "default_hooks.momentum_pipeline=dict(type='MomentumPipelineHook')" in message
    assert "default_hooks.cluster_assignment=dict(type='ClusterAssignmentHook')" in message
    with pytest.raises(ValueError, match=r'without ClusterAssignmentHook \(its'):
        check_required_hooks(model, [MomentumPipelineHook()])
    check_required_hooks(model, [CustomPipeline(), ClusterAssignmentHook(), IterTimerHook()])
    check_required_hooks(torch.nn.Linear(2, 2), [])  # no required_hooks: nothing needed
    assert default_hook_key('MomentumPipelineHook') == 'momentum_pipeline'
    assert default_hook_key('EMAHook') == 'ema'


class InfoDataset:
    """A dataset of data infos only (``get_data_info`` without ``get_gt_labels``, as MMEngine's wrappers)."""

    def __init__(self, labels, unknown_sets=None):
        self.infos = [dict(gt_label=label) for label in labels]
        if unknown_sets is not None:
            for info, name in zip(self.infos, unknown_sets):
                info['unknown_set'] = name

    def __len__(self):
        return len(self.infos)

    def get_data_info(self, index):
        return dict(self.infos[index])


def test_every_configured_unknown_set_needs_samples():
    labels = [0, 1, 2, -1, -1, -1]
    sets = ['', '', '', 'easy', 'easy', 'hard']
    both = SimpleNamespace(metrics=[OpenSetEvaluator(unknown_sets=('easy', 'hard'))])
    assert open_set_data_problem(InfoDataset(labels, sets), both, 'test', 'test_dataloader.dataset') is None
    easy_only = ['', '', '', 'easy', 'easy', 'easy']
    problem = open_set_data_problem(InfoDataset(labels, easy_only), both, 'test', 'test_dataloader.dataset')
    assert "unknown sets ['hard'] of the evaluator's unknown_sets ('easy', 'hard') have no sample in the test set" in \
        problem and 'test_dataloader.dataset' in problem
    problem = open_set_data_problem(InfoDataset(labels), both, 'validation', 'val_dataloader.dataset')
    assert 'samples of the validation set have no `unknown_set` field' in problem
    # a dataset that names its sets, evaluated without unknown_sets: found from the first / last data info
    problem = open_set_data_problem(InfoDataset(labels, sets), SimpleNamespace(metrics=[OpenSetEvaluator()]), 'test',
                                    'test_dataloader.dataset')
    assert "named unknown sets ['easy', 'hard']" in problem and "unknown_sets=('easy', 'hard')" in problem
    unnamed = ['', '', '', '', '', '']
    assert open_set_data_problem(InfoDataset(labels, unnamed), SimpleNamespace(metrics=[OpenSetEvaluator()]), 'test',
                                 'x') is None
    problem = open_set_data_problem(InfoDataset(labels, ['', 'hard', '', 'easy', 'easy', 'hard']), both, 'test', 'x')
    assert 'known sample(s) of the test set (gt_label >= 0) name an unknown set, e.g. sample 1' in problem


def test_total_batch_must_be_the_recipes_unless_the_lr_is_scaled():
    # 8 GPUs x a batch-32 config = 256 images per step at the learning rate of 32, with nothing in the results to
    # show it: refused, naming the three ways out.
    from openmixosr.engine.start_checks import total_batch_problem
    cfg = Config.fromfile(CE)  # batch 64, auto_scale_lr.base_batch_size=64, lr 0.05
    assert total_batch_problem(cfg, 1) is None
    problem = total_batch_problem(cfg, 8)
    assert problem.startswith('The total batch of this run is 8 process(es) x train_dataloader.batch_size=64 = 512 '
                              'images per step, but the learning rate (optim_wrapper.optimizer.lr=0.05) is the '
                              "recipe's for 64 (auto_scale_lr.base_batch_size).")
    assert '--auto-scale-lr (the learning rate scaled by 512/64)' in problem
    assert '--cfg-options train_dataloader.batch_size=8' in problem and '--allow-batch-change' in problem
    cfg.train_dataloader.batch_size = 32
    assert total_batch_problem(cfg, 2) is None  # 2 x 32 = 64: the recipe's batch on two processes
    assert 'batch_size=32 = 32 images' in total_batch_problem(cfg, 1)
    assert 'train_dataloader.batch_size=' not in total_batch_problem(cfg, 3).split('Pass one of')[1]  # 64 / 3
    cfg.auto_scale_lr.enable = True  # --auto-scale-lr: MMEngine scales the learning rate
    assert total_batch_problem(cfg, 3) is None
    cfg.auto_scale_lr = None  # a config that claims no recipe
    assert total_batch_problem(cfg, 3) is None


def test_sync_bn_in_a_module_that_some_steps_skip_is_refused(build_tiny_distiller, build_tiny_automix):
    # Each process draws its own raw / mixed steps; a learned mixer runs in mixed steps only, and its SyncBatchNorm
    # would wait forever for the processes that drew a raw step.
    from mmengine.model import convert_sync_batchnorm

    from openmixosr.engine.start_checks import sync_bn_problem
    learned = dict(type='LearnedMaskMixer', mix_block=dict(type='MixBlockPlus', in_channels=64))  # teacher's layer3
    distiller = convert_sync_batchnorm(build_tiny_distiller(mixer=learned))
    problem = sync_bn_problem(distiller)
    assert problem.startswith('sync_bn (--sync-bn): AsymmetricDistiller runs LearnedMaskMixer.mix_block.')
    assert 'Train without --sync-bn' in problem
    distiller.p_mix = 1.0  # every step mixed on every process: the same forwards everywhere
    assert sync_bn_problem(distiller) is None
    assert sync_bn_problem(convert_sync_batchnorm(build_tiny_distiller())) is None  # CutMix has no BatchNorm
    # AutoMix runs every part (q, k, the Mix Block) in every step: SyncBatchNorm is fine, the momentum encoder's too;
    # the converted layers keep their parameters, so the momentum update still pairs k's with q's.
    automix = convert_sync_batchnorm(build_tiny_automix())
    assert sync_bn_problem(automix) is None
    k_norms = [m for m in automix.momentum_encoder.modules() if isinstance(m, torch.nn.SyncBatchNorm)]
    assert len(k_norms) == len([m for m in automix.backbone.modules() if isinstance(m, torch.nn.SyncBatchNorm)]) > 0
    automix.train()
    automix.loss(torch.randn(4, 3, 16, 16), [DataSample().set_gt_label(i % 4) for i in range(4)])  # 1 process
    q_norm = next(m for m in automix.backbone.modules() if isinstance(m, torch.nn.SyncBatchNorm))
    with torch.no_grad():
        q_norm.weight.fill_(3.0)  # k's copy is 1
    automix.momentum_update(0.5)
    assert torch.allclose(k_norms[0].weight, torch.full_like(k_norms[0].weight, 2.0))


def test_scores_that_need_the_final_layer_need_an_open_set_predictor():
    from types import SimpleNamespace

    import torch

    from openmixosr.engine.start_checks import model_contract_problem
    from openmixosr.registry import METRICS
    logit_only = SimpleNamespace(metrics=[METRICS.build(dict(type='OpenSetEvaluator'))])
    knn = SimpleNamespace(metrics=[METRICS.build(dict(type='OpenSetEvaluator', scores=['knn']))])
    plain = torch.nn.Linear(2, 2)  # neither predict() nor final_linear()
    assert model_contract_problem(plain, logit_only, 'test') is None
    problem = model_contract_problem(plain, knn, 'test')
    assert "The test scores ['knn'] need the network's final linear layer" in problem
    assert 'Linear is not an OpenSetPredictor' in problem and 'final_linear()' in problem
