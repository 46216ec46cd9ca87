"""Checks of a run's data, config and hooks that would otherwise fail late (at the first validation or save) or
not at all."""
import math
import re
from typing import Iterable, List, Optional

import numpy as np
from mmpretrain.utils import get_ori_model
from torch.nn import SyncBatchNorm

from openmixosr.models.contracts import RequiresHooks

UNKNOWN_LABEL = -1


def dataset_labels(dataset) -> np.ndarray:
    """The ground-truth labels of every sample of a dataset, without loading any image.

    Args:
        dataset: An mmpretrain ``BaseDataset`` (``get_gt_labels``) or any dataset with ``get_data_info(i)``
            returning ``gt_label`` (MMEngine's ``ConcatDataset``, ...).

    Returns:
        np.ndarray: int64 labels, ``-1`` for unknown samples.
    """
    if hasattr(dataset, 'get_gt_labels'):
        return np.asarray(dataset.get_gt_labels(), dtype=np.int64).reshape(-1)
    return np.asarray([int(np.asarray(dataset.get_data_info(index)['gt_label']).reshape(-1)[0])
                       for index in range(len(dataset))], dtype=np.int64)


def dataset_unknown_sets(dataset, probe_only: bool = False) -> Optional[List[Optional[str]]]:
    """The ``unknown_set`` of every sample's data info (None where one has none), without loading any image.

    Args:
        dataset: Any dataset with ``get_data_info(i)``.
        probe_only (bool): Read every data info only if the first or the last one has ``unknown_set`` (a cheap test
            of whether the dataset names unknown sets at all).

    Returns:
        list[str | None] | None: One entry per sample, or None when no data info read has the field.
    """
    if not len(dataset) or not hasattr(dataset, 'get_data_info'):
        return None
    if probe_only and all('unknown_set' not in dataset.get_data_info(index) for index in (0, len(dataset) - 1)):
        return None
    names = [dataset.get_data_info(index).get('unknown_set') for index in range(len(dataset))]
    return None if all(name is None for name in names) else names


def open_set_data_problem(dataset, evaluator, name: str, cfg_key: str) -> Optional[str]:
    """What is wrong with evaluation data for an open-set evaluator, or None.

    :class:`~openmixosr.evaluation.OpenSetEvaluator` needs known (label >= 0) and unknown (label -1) samples; without
    either it raises, but only after the whole evaluation pass (for validation: after the first training epochs).
    With ``unknown_sets`` (the Semantic Shift Benchmark's 'easy' and 'hard'), every set must have samples and the
    data infos' ``unknown_set`` must fit the sets
    (:func:`~openmixosr.evaluation.unknown_set_rules.unknown_set_problem`); an evaluator without ``unknown_sets`` on
    a dataset that names its unknown sets is a problem too.

    Args:
        dataset: The validation or test dataset.
        evaluator: The loop's ``Evaluator`` (its ``metrics``).
        name (str): ``'validation'`` or ``'test'``, for the message.
        cfg_key (str): Where the dataset is configured, e.g. ``'val_dataloader.dataset'``.

    Returns:
        str | None: The message of the problem.
    """
    from openmixosr.evaluation.metrics.open_set import OpenSetEvaluator
    from openmixosr.evaluation.unknown_set_rules import unknown_set_problem
    metrics = [metric for metric in getattr(evaluator, 'metrics', []) if isinstance(metric, OpenSetEvaluator)]
    if not metrics:
        return None
    labels = dataset_labels(dataset)
    n_unknown = int((labels == UNKNOWN_LABEL).sum())
    n_known = int((labels >= 0).sum())
    if not (n_unknown and n_known):
        missing = 'unknown (label -1)' if not n_unknown else 'known'
        if not n_unknown:
            fix = ('keep the samples of the other classes with `with_unknown=True`, or add '
                   '`unknown_source=dict(...)` (e.g. CIFAR-100 for CIFAR+N)')
        else:
            fix = 'check its known classes (`split`, `known_classes`)'
        return (f'The {name} set has no {missing} samples ({n_known} known, {n_unknown} unknown), but '
                f'OpenSetEvaluator needs both to compute AUROC / OSCR: {fix} in `{cfg_key}`. (Without this check it '
                f'would fail after the whole {name} pass.)')
    names = dataset_unknown_sets(dataset, probe_only=all(metric.unknown_sets is None for metric in metrics))
    for metric in metrics:
        problem = unknown_set_problem(labels, names, metric.unknown_sets, where=f'{name} set')
        if problem:
            return f'{problem} (`{cfg_key}`; found before the {name} pass.)'
    return None


def _scheduler_list(param_scheduler) -> List[dict]:
    if param_scheduler is None:
        return []
    if isinstance(param_scheduler, dict) and 'type' not in param_scheduler:  # {optimizer name: schedulers}
        return [item for value in param_scheduler.values() for item in _scheduler_list(value)]
    return list(param_scheduler) if isinstance(param_scheduler, (list, tuple)) else [param_scheduler]


def schedule_problems(cfg) -> List[str]:
    """Parameter schedulers that cannot fit the training length of an epoch-based config.

    MMEngine sets a scheduler's missing ``end`` to ``max_epochs``; a scheduler that begins at or after
    ``max_epochs`` (a cosine after a warm-up longer than the run, e.g. ``train_cfg.max_epochs=1`` with a 1-epoch
    warm-up) then fails with "end should be larger than begin". Only epoch-based schedulers of an epoch-based
    ``train_cfg`` are checked.

    Args:
        cfg (Config): The merged config.

    Returns:
        list[str]: One message per scheduler that would fail (empty when all fit).
    """
    train_cfg = cfg.get('train_cfg') or {}
    max_epochs = train_cfg.get('max_epochs')
    if not train_cfg.get('by_epoch', True) or max_epochs is None:
        return []
    problems = []
    schedulers = _scheduler_list(cfg.get('param_scheduler'))
    for position, scheduler in enumerate(schedulers):
        if not isinstance(scheduler, dict) or not scheduler.get('by_epoch', True):
            continue
        begin = scheduler.get('begin', 0)
        end = scheduler.get('end', math.inf)
        if begin >= max_epochs or begin >= end:
            earlier = [f'{s.get("type")} (epochs {s.get("begin", 0)}-{s.get("end", "end")})'
                       for s in schedulers[:position] if isinstance(s, dict)]
            problems.append(
                f'param_scheduler #{position + 1} ({scheduler.get("type")}) begins at epoch {begin} but '
                f'train_cfg.max_epochs={max_epochs}' + (f' (after {", ".join(earlier)})' if earlier else '') +
                f': the run ends before it starts. Raise train_cfg.max_epochs above {begin} or shorten the warm-up '
                f'(its `end` and the `begin` of this scheduler).')
    return problems


def total_batch_problem(cfg, world_size: int) -> Optional[str]:
    """Why the total batch of a run is not the one the config's learning rate is for, or None.

    The total batch is ``world_size x train_dataloader.batch_size`` (MMEngine's, as ``auto_scale_lr`` counts it);
    the config's ``auto_scale_lr.base_batch_size`` is the recipe's total batch, the one its ``lr`` is for. 8 GPUs
    running a config of batch 32 train 256 images per step at the learning rate of 32, and nothing in the results
    says so. A config without ``auto_scale_lr.base_batch_size`` claims no recipe and is not checked.

    Args:
        cfg (Config): The merged config.
        world_size (int): The number of processes (:func:`~openmixosr.engine.dist.launcher_world_size`).

    Returns:
        str | None: The problem, saying what to do; None when the batches agree or the learning rate is scaled
        (``auto_scale_lr.enable``, ``--auto-scale-lr``).
    """
    auto_scale_lr = cfg.get('auto_scale_lr') or {}
    base = auto_scale_lr.get('base_batch_size')
    batch_size = (cfg.get('train_dataloader') or {}).get('batch_size')
    if base is None or batch_size is None or auto_scale_lr.get('enable'):
        return None
    total = world_size * batch_size
    if total == base:
        return None
    lr = ((cfg.get('optim_wrapper') or {}).get('optimizer') or {}).get('lr')
    per_process = f'train_dataloader.batch_size={base // world_size}' if base % world_size == 0 else None
    options = [f'--auto-scale-lr (the learning rate scaled by {total}/{base})']
    if per_process:
        options.append(f'--cfg-options {per_process} (the recipe\'s batch on {world_size} process(es))')
    options.append('--allow-batch-change (this batch at this learning rate: not the recipe, say so with the results)')
    return (f'The total batch of this run is {world_size} process(es) x train_dataloader.batch_size={batch_size} = '
            f'{total} images per step, but the learning rate (optim_wrapper.optimizer.lr={lr}) is the recipe\'s for '
            f'{base} (auto_scale_lr.base_batch_size). Pass one of: ' + '; '.join(options) + '.')


def sync_bn_problem(model) -> Optional[str]:
    """SyncBatchNorm in a module that only some training steps run, or None.

    A ``SyncBatchNorm`` layer in training mode all-reduces its batch statistics at every forward, so every process
    must run the same such forwards in the same order; a process whose step skips one leaves the others waiting
    forever. A model names the submodules that only some steps run in ``modules_of_some_steps`` (the distiller: its
    mixer, in mixed steps, which each process draws on its own; a learned mixer's Mix Block has BatchNorm).

    Args:
        model (nn.Module): The runner's model (a DDP wrapper is looked through), after MMEngine's ``sync_bn``
            conversion.

    Returns:
        str | None: The problem, naming the layers and what to do.
    """
    model = get_ori_model(model)
    layers = [f'{type(module).__name__}.{name}' for module in getattr(model, 'modules_of_some_steps', ())
              for name, layer in module.named_modules() if isinstance(layer, SyncBatchNorm)]
    if not layers:
        return None
    return (f'sync_bn (--sync-bn): {type(model).__name__} runs {", ".join(layers[:3])}'
            f'{" ..." if len(layers) > 3 else ""} in some training steps only, and each process draws its own steps: '
            f'their SyncBatchNorm would wait forever for the processes that skipped them. Train without --sync-bn '
            f'(each process normalises with its own batch statistics).')


def default_hook_key(hook_type: str) -> str:
    """The ``default_hooks`` key of a hook type in the configs: its name without ``Hook``, in snake case.

    ``'MomentumPipelineHook'`` -> ``'momentum_pipeline'``, ``'ClusterAssignmentHook'`` -> ``'cluster_assignment'``.
    """
    name = hook_type[:-len('Hook')] if hook_type.endswith('Hook') else hook_type
    return re.sub(r'(?<=[a-z0-9])(?=[A-Z])', '_', name).lower()


def check_required_hooks(model, hooks: Iterable) -> None:
    """Raise unless every hook type the model lists in ``required_hooks`` is registered (itself or a subclass).

    A model that cannot train correctly without a hook (AutoMix and the self-supervised AMix need
    ``MomentumPipelineHook`` to update their momentum encoder, every model that trains a Mix Block
    ``MaskLossScheduleHook``, AMix-C also ``ClusterAssignmentHook``) names it in ``required_hooks`` (a class
    attribute or a property); models without that attribute need none.

    Args:
        model (nn.Module): The runner's model (a DDP wrapper is looked through).
        hooks (Iterable[Hook]): The registered hooks (``runner.hooks``).

    Raises:
        ValueError: Naming each missing hook and the ``default_hooks`` entry that adds it.
    """
    model = get_ori_model(model)
    if not isinstance(model, RequiresHooks):
        return
    registered = {cls.__name__ for hook in hooks for cls in type(hook).__mro__}  # a subclass of a hook counts
    missing = [name for name in model.required_hooks if name not in registered]
    if missing:
        entries = ', '.join(f"default_hooks.{default_hook_key(name)}=dict(type='{name}')" for name in missing)
        raise ValueError(f'{type(model).__name__} cannot train without {", ".join(missing)} (its required_hooks), '
                         f'which the run does not register: add {entries} to the config.')


def model_contract_problem(model, evaluator, name: str) -> Optional[str]:
    """What the model lacks for an evaluator's metrics, or None.

    An open-set score that recomputes logits or is fitted on the training set
    (:class:`~openmixosr.evaluation.scores.OpenSetScore` ``needs_final_layer`` / ``needs_train_set``: KNN, ViM, ...)
    takes the model's ``final_linear()`` and runs its ``predict`` over the training set: the model must be an
    :class:`~openmixosr.models.contracts.OpenSetPredictor`. (Scores of the logits alone need only what every
    evaluated sample carries, ``pred_logits``, which the metric checks itself.)

    Args:
        model (nn.Module): The runner's model (a DDP wrapper is looked through).
        evaluator: The loop's ``Evaluator`` (its ``metrics``).
        name (str): ``'validation'`` or ``'test'``, for the message.
    """
    from openmixosr.evaluation.metrics.open_set import OpenSetScoreMetric
    from openmixosr.models.contracts import OpenSetPredictor
    model = get_ori_model(model)
    needing = [score_name for metric in getattr(evaluator, 'metrics', []) if isinstance(metric, OpenSetScoreMetric)
               for score_name, score in metric.scores.items() if score.needs_final_layer or score.needs_train_set]
    if needing and not isinstance(model, OpenSetPredictor):
        return (f'The {name} scores {needing} need the network\'s final linear layer and its predict() on the '
                f'training set, but {type(model).__name__} is not an OpenSetPredictor: it needs predict() storing '
                'pred_logits and pred_features (openmixosr.models.utils.predictions.attach_predictions) and '
                'final_linear() (openmixosr/models/contracts.py).')
    return None
