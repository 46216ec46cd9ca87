"""Checks of a run's data, config and hooks that would otherwise fail late (at the first validation or save) or
not at all."""
import math
import re
from typing import Iterable, List, Optional

import numpy as np
from mmpretrain.utils import get_ori_model

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
    (:func:`~openmixosr.evaluation.unknown_sets.unknown_set_problem`); an evaluator without ``unknown_sets`` on
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
    from openmixosr.evaluation.unknown_sets import unknown_set_problem
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
    registered = {cls.__name__ for hook in hooks for cls in type(hook).__mro__}  # a subclass of a hook counts
    missing = [name for name in getattr(model, 'required_hooks', ()) if name not in registered]
    if missing:
        entries = ', '.join(f"default_hooks.{default_hook_key(name)}=dict(type='{name}')" for name in missing)
        raise ValueError(f'{type(model).__name__} cannot train without {", ".join(missing)} (its required_hooks), '
                         f'which the run does not register: add {entries} to the config.')
