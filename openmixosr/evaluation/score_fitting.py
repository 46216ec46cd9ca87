"""Fit the open-set scores of the evaluators before each validation / test epoch: :class:`FitOpenSetScoresHook`.

MMEngine's metrics see the model's outputs only; a score such as KNN or ViM also needs the final linear layer and the
training set's features. The hook, which sees the runner, provides them: before an epoch whose evaluator has an
:class:`~openmixosr.evaluation.metrics.open_set.OpenSetScoreMetric` with ``scores``, it takes the model's
``final_linear()`` and, if a score is fitted on the training set, runs the model's ``predict`` over the training set
with the test pipeline (:func:`~openmixosr.evaluation.feature_bank.collect_feature_bank`). When testing a checkpoint
(``load_from``), the fitted statistics are cached next to it (:class:`~openmixosr.evaluation.score_cache.ScoreCache`)
and a second test loads them instead of collecting the features again. ``OpenMixOSRRunner`` registers the hook.
The hook and :class:`~openmixosr.apis.OpenSetInferencer` fit through the same function, :func:`fit_metric_scores`,
and so share the cache of a checkpoint.
"""
import logging
from typing import List, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpretrain.utils import get_ori_model

from openmixosr.models.contracts import OpenSetPredictor
from openmixosr.registry import HOOKS
from .feature_bank import collect_feature_bank, train_loader_with_test_pipeline
from .metrics.open_set import OpenSetScoreMetric
from .score_cache import ScoreCache, state_sha256
from .scores import FeatureBank, FinalLinear


def scored_metrics(evaluator) -> List[OpenSetScoreMetric]:
    """The metrics of an evaluator that compute registry scores (and so must be fitted)."""
    return [metric for metric in getattr(evaluator, 'metrics', []) if isinstance(metric, OpenSetScoreMetric)
            and metric.scores]


def model_final_linear(model, metrics: List[OpenSetScoreMetric]) -> Optional[FinalLinear]:
    """The model's ``final_linear()``; None for a model without one when only logit scores are asked for.

    Raises:
        TypeError: A score needs the final layer or the training set and the model has no ``final_linear()``.
    """
    if isinstance(model, OpenSetPredictor):
        return model.final_linear()
    needing = [name for metric in metrics for name, score in metric.scores.items()
               if score.needs_final_layer or score.needs_train_set]
    if needing:
        raise TypeError(f'The scores {needing} need the classifier\'s final linear layer, but '
                        f'{type(model).__name__} has no final_linear() method (OpenSetClassifier, AutoMix and '
                        'AsymmetricDistiller have one).')
    return None


@HOOKS.register_module()
class FitOpenSetScoresHook(Hook):
    """Fit the evaluators' open-set scores before every validation and test epoch (see the module docstring).

    Validation during training refits on every epoch (the network changed) and collects the training features each
    time a score needs them; only tests of a ``load_from`` checkpoint use the cache.
    """
    priority = 'NORMAL'

    def before_val_epoch(self, runner) -> None:
        self._fit(runner, runner.val_loop.evaluator, checkpoint=None)

    def before_test_epoch(self, runner) -> None:
        self._fit(runner, runner.test_loop.evaluator, checkpoint=runner.cfg.get('load_from'))

    def _fit(self, runner, evaluator, checkpoint: Optional[str]) -> None:
        metrics = scored_metrics(evaluator)
        if metrics:
            fit_metric_scores(get_ori_model(runner.model), runner.cfg, metrics, checkpoint)


def checkpoint_score_cache(checkpoint: str, model, cfg) -> ScoreCache:
    """The score cache of a checkpoint as it is tested: keyed by the evaluated weights (:func:`state_sha256` of the
    loaded model), the training data as it is scored (:func:`train_loader_with_test_pipeline`), the model and data
    preprocessor configs and ``load_cfg`` (what tools/test.py and :class:`~openmixosr.apis.OpenSetInferencer` share).

    Args:
        checkpoint (str): The checkpoint file the model was loaded from; the cache lies next to it.
        model (nn.Module): The unwrapped model, loaded.
        cfg (Config | dict): The full config the model was built and loaded with.

    Returns:
        ScoreCache: The cache (its file may not exist yet).
    """
    return ScoreCache(checkpoint, state_sha256(model), dict(
        train_dataloader=train_loader_with_test_pipeline(cfg), model=cfg.get('model'),
        data_preprocessor=cfg.get('data_preprocessor'), load_cfg=cfg.get('load_cfg')))


def fit_metric_scores(model, cfg, metrics: List[OpenSetScoreMetric], checkpoint: Optional[str] = None) -> None:
    """Fit the scores of ``metrics`` for ``model``: the final linear layer and, for scores fitted on the training
    set, its features (collected once, with the test pipeline, only when a score needs them and no cache holds them).

    With a ``checkpoint``, the statistics of the scores fitted on the training set are loaded from its
    :func:`checkpoint_score_cache` when it holds them, and written there after a fit.

    Args:
        model (nn.Module): The unwrapped model (``final_linear()``, ``test_step``).
        cfg (Config | dict): The full config (``train_dataloader``, the test pipeline, ``model``, ``load_cfg``).
        metrics (list[OpenSetScoreMetric]): The metrics whose ``scores`` are fitted.
        checkpoint (str, optional): The tested checkpoint; None (validation while training) fits without a cache.
    """
    final_layer = model_final_linear(model, metrics)
    cache = None
    if checkpoint is not None and any(metric.needs_train_set for metric in metrics):
        cache = checkpoint_score_cache(checkpoint, model, cfg)
    cached = cache.load() if cache is not None else {}
    train_bank = _LazyTrainBank(model, cfg)
    states = {}
    for metric in metrics:
        states.update(metric.fit_scores(final_layer, train_bank, cached))
    if cache is None:
        return
    if not train_bank.collected:
        print_log(f'Loaded the fitted open-set scores from {cache.path}', logger='current')
    elif is_main_process():  # the one process that writes the cache says how it went
        _save_cache(cache, states)


def _save_cache(cache: ScoreCache, states) -> None:
    """Write the cache; log where on success, and a warning saying what failed otherwise (the results stand)."""
    try:
        cache.save(states)
    except (OSError, ValueError) as error:
        print_log(f'Could not save the fitted open-set scores to {cache.path} ({type(error).__name__}: {error}). The '
                  'results are not affected; the next test of this checkpoint collects the training set\'s '
                  'features again.', logger='current', level=logging.WARNING)
        return
    print_log(f'Saved the fitted open-set scores to {cache.path}', logger='current')


class _LazyTrainBank:
    """Collects the training set's features on the first call and returns the same bank afterwards."""

    def __init__(self, model, cfg) -> None:
        self.model, self.cfg = model, cfg
        self._bank: Optional[FeatureBank] = None

    @property
    def collected(self) -> bool:
        return self._bank is not None

    def __call__(self) -> FeatureBank:
        if self._bank is None:
            loader = train_loader_with_test_pipeline(self.cfg)
            print_log('Collecting the training set\'s features (test pipeline) to fit the open-set scores',
                      logger='current')
            self._bank = collect_feature_bank(self.model, loader)
        return self._bank
