"""Open-set metrics for mmengine's evaluator: :class:`OpenSetEvaluator` and :class:`OpenSetScoreDump`.

Both read what the models store in each data sample (which mmengine's ``Evaluator`` passes as
``DataSample.to_dict()``): the raw logits ``pred_logits``, the pooled features ``pred_features`` (the input of the
head's final linear layer; read when a score of :mod:`openmixosr.evaluation.scores` needs them) and the ground truth
``gt_label`` (``-1`` = unknown sample) and, for a test set with several named unknown sets (the Semantic Shift
Benchmark's 'easy' and 'hard'), ``unknown_set``: ``''`` for a known sample, the set's name for an unknown one.

The scores of the ``OPEN_SET_SCORES`` registry are fitted before the metric computes anything: scores of the logits
alone are fitted on the spot; the others need the final linear layer and, for some, the training set's features,
which :class:`~openmixosr.evaluation.score_fitting.FitOpenSetScoresHook` provides before each validation / test
epoch (docs/metrics.md, "Scores fitted on the training set").
"""
import os.path as osp
from typing import Callable, Dict, List, Optional, Protocol, Sequence, Set, Tuple, Union, runtime_checkable

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.utils import mkdir_or_exist

from openmixosr.registry import METRICS
from ..functional import aupr_in, aupr_out, auroc, fpr_at_tpr, open_set_macro_f1, oscr, threshold_at_tpr
from ..scores import FeatureBank, FinalLinear, OpenSetScore, all_one_pass_scores, build_score
from ..unknown_set_rules import check_unknown_sets, unknown_set_problem

UNKNOWN_LABEL = -1
#: The open-set metrics computed for every score, in the order of the table's columns.
OPEN_SET_METRICS = ('auroc', 'oscr', 'fpr95', 'aupr_in', 'aupr_out', 'macro_f1')

ScoresArg = Union[None, str, Sequence[Union[str, dict, OpenSetScore]]]
FittedStates = Dict[str, Dict[str, np.ndarray]]  # {score cache key: the score's state dict}
#: What starts each caveat line of a results table (:meth:`OpenSetEvaluator.add_caveat`).
CAVEAT_MARK = '!!'


@runtime_checkable
class TakesResultCaveats(Protocol):
    """A metric that prints caveats with its results: sentences that qualify every number it reports.

    :class:`~openmixosr.engine.runner.OpenMixOSRRunner` gives one to each such metric of the evaluator it runs when
    something it knows and the metric cannot makes the results doubtful, e.g. a loaded checkpoint that records no known
    classes (nothing could check that it was trained on those of the test set). :class:`OpenSetEvaluator` is one.
    """

    def add_caveat(self, caveat: str) -> None:
        ...


def build_scores(scores: ScoresArg) -> Dict[str, OpenSetScore]:
    """The scores an open-set metric computes, by log name.

    Args:
        scores (None | str | Sequence[str | dict | OpenSetScore]): None for none, ``'all'`` for every registered
            score (:func:`~openmixosr.evaluation.scores.all_one_pass_scores`), or names (``'knn'``), configs
            (``dict(type='KNNScore', k=50)``) and built scores of ``OPEN_SET_SCORES``.

    Returns:
        dict[str, OpenSetScore]: ``{score.name: score}`` in the given order.

    Raises:
        ValueError: Two scores with the same name (their metrics would overwrite each other).
    """
    if scores is None:
        return {}
    if isinstance(scores, str):
        if scores != 'all':
            raise ValueError(f"scores must be 'all' or a list of score names / configs, got the string {scores!r} "
                             f"(write [{scores!r}] for one score).")
        scores = all_one_pass_scores()
    built = {}
    for cfg in scores:
        score = cfg if isinstance(cfg, OpenSetScore) else build_score(cfg)
        if score.name in built:
            raise ValueError(f'Two scores are named {score.name!r} ({built[score.name]!r} and {score!r}): their '
                             f'metrics osr/{score.name}/* would overwrite each other.')
        built[score.name] = score
    return built


def open_set_metrics(scores: np.ndarray, preds: np.ndarray, labels: np.ndarray) -> Dict[str, float]:
    """The open-set metrics of :data:`OPEN_SET_METRICS` of one score, as fractions (0-1).

    Args:
        scores (np.ndarray): [N] open-set scores, higher = more known.
        preds (np.ndarray): [N] predicted classes (argmax of the network's logits).
        labels (np.ndarray): [N] labels, -1 = unknown.

    Returns:
        dict[str, float]: ``auroc``, ``oscr``, ``fpr95``, ``aupr_in``, ``aupr_out``, ``macro_f1``.

    Raises:
        ValueError: Without known or without unknown samples (the metrics are undefined).
    """
    known = labels != UNKNOWN_LABEL
    known_scores, unknown_scores = scores[known], scores[~known]
    known_labels, known_preds = labels[known], preds[known]
    # The functional metrics raise a ValueError if either set is empty; auroc runs first so that happens before
    # anything else is evaluated.
    auroc_value = auroc(known_scores, unknown_scores)
    correct = known_preds == known_labels
    return dict(
        auroc=auroc_value,
        oscr=oscr(known_scores, correct, unknown_scores),
        fpr95=fpr_at_tpr(known_scores, unknown_scores, 0.95),
        aupr_in=aupr_in(known_scores, unknown_scores),
        aupr_out=aupr_out(known_scores, unknown_scores),
        macro_f1=open_set_macro_f1(known_scores, known_labels, known_preds, unknown_scores, preds[~known],
                                   threshold_at_tpr(known_scores, 0.95)))


def _as_numpy(value) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float32)


def _read_sample(data_sample: dict) -> dict:
    """``logits`` [C] float32, ``label`` (int, -1 = unknown), ``features`` ([D] float32 or None) and ``unknown_set``
    (str, or None when the sample has no such field) of one sample."""
    if 'pred_logits' not in data_sample:
        raise KeyError('Open-set evaluation needs the raw logits of every sample, but the data sample has no '
                       '`pred_logits` field. The model must store its raw logits (shape [num_classes]) in '
                       f'`pred_logits` in `predict()`. Fields present: {sorted(data_sample)}.')
    gt_label = data_sample['gt_label']
    if isinstance(gt_label, torch.Tensor):
        gt_label = gt_label.cpu()  # the data preprocessor moved it to the model's device
    label = np.asarray(gt_label).reshape(-1)
    if label.shape != (1, ):
        raise ValueError(f'gt_label must hold exactly one label, got {label.shape[0]}.')
    unknown_set = data_sample.get('unknown_set')
    if unknown_set is not None and not isinstance(unknown_set, str):
        raise TypeError(f'unknown_set must be a str (\'\' for a known sample, the set\'s name for an unknown one), got '
                        f'{type(unknown_set).__name__} {unknown_set!r}.')
    features = data_sample.get('pred_features')
    return dict(logits=_as_numpy(data_sample['pred_logits']), label=int(label[0]),
                features=None if features is None else _as_numpy(features), unknown_set=unknown_set)


class OpenSetScoreMetric(BaseMetric):
    """Keeps the logits, features and label of every sample and computes the open-set scores of ``scores``.

    Subclasses turn the scores into metrics or files. :class:`~openmixosr.evaluation.score_fitting.
    FitOpenSetScoresHook` fits :attr:`scores` before each validation / test epoch.

    Args:
        scores (None | str | Sequence[str | dict]): See :func:`build_scores`.
        collect_device (str): Device used to collect results across ranks, ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Prefix of the metric names.
    """

    #: The names of the unknown sets every sample must name in ``unknown_set`` (see :class:`OpenSetEvaluator`).
    unknown_sets: Optional[Tuple[str, ...]] = None

    def __init__(self, scores: ScoresArg = None, collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        #: The registry scores, by log name; fitted by ``FitOpenSetScoresHook`` (or on the spot, see below).
        self.scores: Dict[str, OpenSetScore] = build_scores(scores)
        self._keep_features = any(score.uses_features for score in self.scores.values())
        self._fitted: Set[str] = set()  # names of the scores fitted (or loaded) for the coming evaluation

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Store ``pred_logits``, ``gt_label``, ``unknown_set`` (when present) and (when a score reads them)
        ``pred_features`` of each sample.

        Args:
            data_batch: The batch from the dataloader (unused).
            data_samples (Sequence[dict]): Model outputs as dicts with ``pred_logits`` [C], ``gt_label`` [1],
                ``pred_features`` [D] and ``unknown_set`` (str).

        Raises:
            KeyError: :attr:`unknown_sets` is set and a sample has no ``unknown_set`` field.
        """
        for data_sample in data_samples:
            result = _read_sample(data_sample)
            if self.unknown_sets is not None and result['unknown_set'] is None:
                raise KeyError(f'{type(self).__name__}(unknown_sets={self.unknown_sets}) reads the unknown set of '
                               'every sample, but the data sample has no `unknown_set` field: add '
                               "`algorithm_keys=('unknown_set',)` to the test pipeline's PackInputs (and use a "
                               'dataset whose samples carry `unknown_set`). Fields present: '
                               f'{sorted(data_sample)}.')
            if not self._keep_features:
                result['features'] = None
            elif result['features'] is None:
                readers = [name for name, score in self.scores.items() if score.uses_features]
                raise KeyError(f'The scores {readers} read the pooled features, but the data sample has no '
                               '`pred_features` field: the model\'s predict() must store them '
                               '(openmixosr.models.utils.predictions.attach_predictions(..., features=...)). '
                               f'Fields present: {sorted(data_sample)}.')
            self.results.append(result)

    @staticmethod
    def _unknown_set_names(results: List[dict]) -> Optional[List[str]]:
        """The ``unknown_set`` of every sample, or None when no sample has the field.

        Raises:
            ValueError: Some samples have the field and others do not.
        """
        names = [result['unknown_set'] for result in results]
        missing = sum(name is None for name in names)
        if missing == len(names):
            return None
        if missing:
            raise ValueError(f'{missing} of the {len(names)} test samples have no `unknown_set` field while the others '
                             'have one: every sample of the dataset must carry it (\'\' for a known sample).')
        return names

    @staticmethod
    def _test_bank(results: List[dict]) -> FeatureBank:
        """Stack the per-sample results into a :class:`FeatureBank` (features None when they were not kept)."""
        logits = np.stack([result['logits'] for result in results])
        labels = np.array([result['label'] for result in results], dtype=np.int64)
        features = None
        if results and results[0]['features'] is not None:
            features = np.stack([result['features'] for result in results])
        return FeatureBank(features=features, logits=logits, labels=labels)

    @property
    def needs_train_set(self) -> bool:
        """Whether a score of :attr:`scores` is fitted on the training set's features."""
        return any(score.needs_train_set for score in self.scores.values())

    def fit_scores(self,
                   final_layer: Optional[FinalLinear],
                   train_bank: Callable[[], FeatureBank],
                   cached_states: Optional[FittedStates] = None) -> FittedStates:
        """Fit every score of :attr:`scores` (``FitOpenSetScoresHook`` calls this before each val / test epoch).

        A score fitted on the training set is restored from ``cached_states`` when they hold its statistics (same
        class and hyper-parameters); otherwise it is fitted on ``train_bank()``, which is called only then.

        Args:
            final_layer (FinalLinear, optional): The classifier's final linear layer; None is enough only for scores
                of the logits alone.
            train_bank (Callable[[], FeatureBank]): Returns the training set's features, logits and labels.
            cached_states (dict, optional): ``{cache key: state dict}`` from an earlier fit (see
                :func:`score_cache_key`).

        Returns:
            dict[str, dict[str, np.ndarray]]: The state dicts of the scores fitted on the training set, by cache key.
        """
        cached_states = cached_states or {}
        states = {}
        for name, score in self.scores.items():
            if score.needs_train_set:
                key = score_cache_key(score)
                if not _load_state(score, cached_states.get(key)):
                    score.fit(final_layer, train_bank())
                states[key] = score.state_dict()
            else:
                score.fit(final_layer)
            self._fitted.add(name)
        return states

    def _compute_scores(self, test: FeatureBank) -> Dict[str, np.ndarray]:
        """Every score of :attr:`scores` on the test bank; logit-only scores that were not fitted are fitted here.

        Raises:
            RuntimeError: A score that needs the final layer or the training set was not fitted.
        """
        values = {}
        for name, score in self.scores.items():
            if name not in self._fitted:
                if score.needs_train_set or score.needs_final_layer:
                    needs = 'the training set\'s features' if score.needs_train_set else 'the final linear layer'
                    raise RuntimeError(
                        f'{type(self).__name__}: score {name!r} ({score!r}) is not fitted; it needs {needs}. '
                        'OpenMixOSRRunner fits the scores before each validation / test epoch (FitOpenSetScoresHook, '
                        'used by tools/test.py); outside a runner call fit_scores(final_layer, train_bank) first.')
                score.fit()
                self._fitted.add(name)
            values[name] = score.score(test)
        self._fitted.clear()  # the next evaluation (e.g. after another training epoch) is fitted anew
        return values


def score_cache_key(score: OpenSetScore) -> str:
    """The key of a score's fitted statistics in a cache: its class and hyper-parameters, e.g. ``KNNScore(k=50)``."""
    return repr(score)


def _load_state(score: OpenSetScore, state: Optional[Dict[str, np.ndarray]]) -> bool:
    """Load cached statistics into ``score``; False when there are none or they do not fit it."""
    if state is None:
        return False
    try:
        score.load_state_dict(state)
    except (KeyError, ValueError):
        return False
    return True


@METRICS.register_module()
class OpenSetEvaluator(OpenSetScoreMetric):
    """Closed-set accuracy and the open-set metrics of docs/metrics.md (Method reference), for one or more scores.

    Known samples have ``gt_label >= 0``, unknown samples ``gt_label == -1``. All returned values are percentages
    (0-100), like mmpretrain's ``Accuracy``:

    - ``accuracy``: closed-set top-1 accuracy (argmax of the network's logits) on the known samples only, once.
    - ``auroc``, ``oscr``, ``aupr_in``, ``aupr_out``: the threshold-free metrics, times 100.
    - ``fpr95``: percentage of unknown samples accepted at the threshold that keeps 95% of the known samples.
    - ``macro_f1``: macro-F1 over the known classes plus "unknown" at that same threshold.

    The metrics without a score name (``osr/auroc``, ...) are those of the headline score ``score_type`` (MLS by
    default: the numbers the toolkit publishes), any registered score. Every score of ``scores`` adds
    ``osr/<score>/auroc``, ``osr/<score>/oscr``, ... (the OSCR of a score uses the network's own predictions). Every
    score, the headline one included, is fitted and computed once, on one path
    (:class:`~openmixosr.evaluation.score_fitting.FitOpenSetScoresHook`). One table, one row per score, is logged;
    ``*`` marks the headline score's row.

    **Several unknown sets** (the Semantic Shift Benchmark's 'easy' and 'hard'): with ``unknown_sets``, every sample
    names its set in ``unknown_set`` (``''`` for a known sample) and each set ``s`` is evaluated on its own: the
    metrics of ``s`` use all known samples and the unknown samples of ``s`` only, as the benchmark defines them
    (``osr/<s>/auroc``, ``osr/<s>/oscr``, ... for ``score_type``, ``osr/<s>/<score>/<metric>`` for every score of
    ``scores``); ``accuracy`` (of the known samples) is logged once. There are no unnamed open-set metrics then: an
    AUROC of the known samples against all sets merged weighs the sets by their sizes and is not a benchmark number.
    The table has one group of rows per set. A sample naming a set the evaluator does not list, a listed set without
    samples, a known sample naming a set or an unknown one naming none are errors, and so are named sets in the
    samples of an evaluator without ``unknown_sets``.

    Without unknown (or known) samples the open-set metrics are undefined and ``compute_metrics`` raises.

    **Caveats** (:meth:`add_caveat`, a :class:`TakesResultCaveats`): sentences printed under the title of every table
    from then on, each on a line starting with ``!!``. The runner adds one, and logs it as a warning, when the
    checkpoint it loaded records no known classes: nothing then checks that it was trained on those of the test set.

    Args:
        score_type (str | dict): The headline score, of the unnamed metrics: a name (``'mls'``, default; ``'msp'``,
            ``'energy'``, ``'knn'``, ... any score of ``OPEN_SET_SCORES``, yours included), a registered type name or
            a config (``dict(type='EnergyScore', temperature=2.0)``).
        scores (None | str | Sequence[str | dict]): More scores, by name or config of ``OPEN_SET_SCORES``
            (``['knn', dict(type='ViMScore', dim=64)]``), or ``'all'`` (every registered score). Defaults to None
            (only ``score_type``). Scores fitted on the training set make the runner collect its features before
            each validation / test epoch (cached next to the checkpoint when testing).
        unknown_sets (Sequence[str], optional): Names of the unknown sets evaluated separately, e.g.
            ``('easy', 'hard')``; the samples must carry ``unknown_set`` (``PackInputs(algorithm_keys=
            ('unknown_set', ))``). Defaults to None (all unknown samples form one set).
        collect_device (str): Device used to collect results across ranks, ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Prefix of the metric names; ``None`` means ``'osr'``.
    """
    default_prefix = 'osr'

    def __init__(self,
                 score_type: Union[str, dict] = 'mls',
                 scores: ScoresArg = None,
                 unknown_sets: Optional[Sequence[str]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        headline, listed = build_score(score_type), build_scores(scores)
        same_name = listed.get(headline.name)
        if same_name is not None and repr(same_name) != repr(headline):
            raise ValueError(f'score_type {headline!r} and the score {same_name!r} of `scores` are both named '
                             f'{headline.name!r}: their metrics would be mixed up. Drop one, or configure the same.')
        # Each score is fitted and computed once: the headline first, then the listed ones (named metrics).
        super().__init__(scores=[same_name or headline, *(score for name, score in listed.items()
                                                          if name != headline.name)],
                         collect_device=collect_device, prefix=prefix)
        self.headline = headline.name
        self.named_scores = tuple(listed)
        self.unknown_sets = check_unknown_sets(unknown_sets)
        self.caveats: List[str] = []

    def add_caveat(self, caveat: str) -> None:
        """Print ``caveat``, marked ``!!``, under the title of every results table from now on (once per text).

        Args:
            caveat (str): A sentence that qualifies every number of the table.
        """
        if caveat not in self.caveats:
            self.caveats.append(caveat)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Compute the metrics (in percent) from the collected results, and log them as a table.

        Args:
            results (list[dict]): The per-sample results of :meth:`process` from all ranks.

        Returns:
            dict[str, float]: ``accuracy``, the metrics of ``score_type`` (``auroc``, ``oscr``, ``fpr95``,
            ``aupr_in``, ``aupr_out``, ``macro_f1``) and ``<score>/<metric>`` for every score of ``scores``; with
            ``unknown_sets``, ``accuracy`` and, for every set ``s``, ``s/<metric>`` and ``s/<score>/<metric>``.

        Raises:
            ValueError: The samples' ``unknown_set`` names do not fit ``unknown_sets`` (see
                :func:`unknown_set_problem`).
        """
        test = self._test_bank(results)
        names = self._unknown_set_names(results)
        problem = unknown_set_problem(test.labels, names, self.unknown_sets)
        if problem:
            raise ValueError(problem)
        preds = test.logits.argmax(axis=1)
        known = test.labels != UNKNOWN_LABEL
        metrics = dict(accuracy=100.0 * float((preds[known] == test.labels[known]).mean()))
        scores = self._compute_scores(test)
        if self.unknown_sets is None:
            rows = self._score_rows(scores, preds, test.labels, metrics, key_prefix='')
            table = self.format_table(metrics['accuracy'], rows, int(known.sum()), int((~known).sum()), self.caveats)
        else:
            names = np.asarray(names)
            set_rows = []
            for unknown_set in self.unknown_sets:
                subset = known | (names == unknown_set)
                rows = self._score_rows({name: values[subset] for name, values in scores.items()}, preds[subset],
                                        test.labels[subset], metrics, key_prefix=f'{unknown_set}/')
                set_rows.extend((unknown_set, name, row) for name, row in rows)
            counts = {unknown_set: int((names == unknown_set).sum()) for unknown_set in self.unknown_sets}
            table = self.format_set_table(metrics['accuracy'], set_rows, int(known.sum()), counts, self.caveats)
        print_log(table, logger='current')
        return metrics

    def _score_rows(self, scores: Dict[str, np.ndarray], preds: np.ndarray, labels: np.ndarray,
                    metrics: Dict[str, float], key_prefix: str) -> List[Tuple[str, Dict[str, float]]]:
        """The open-set metrics (percent) of every score on one set of samples, added to ``metrics``.

        The headline score gives ``<key_prefix><metric>`` (table row ``'<name> *'``), every score of ``scores``
        ``<key_prefix><score>/<metric>`` (its own table row unless it is the headline score, whose numbers are the
        starred row's).

        Returns:
            list[tuple[str, dict[str, float]]]: ``(row name, {metric: value})`` per table row, headline first.
        """
        computed = {name: {metric: 100.0 * float(value) for metric, value in
                           open_set_metrics(values, preds, labels).items()} for name, values in scores.items()}
        headline = computed[self.headline]
        metrics.update({f'{key_prefix}{metric}': value for metric, value in headline.items()})
        rows = [(f'{self.headline} *', headline)]
        for name in self.named_scores:
            metrics.update({f'{key_prefix}{name}/{metric}': value for metric, value in computed[name].items()})
            if name != self.headline:
                rows.append((name, computed[name]))
        return rows

    @staticmethod
    def format_table(accuracy: float, rows: List[Tuple[str, Dict[str, float]]], n_known: int, n_unknown: int,
                     caveats: Sequence[str] = ()) -> str:
        """A plain-text table of the open-set metrics (percent), one row per score.

        Args:
            accuracy (float): Closed-set accuracy in percent.
            rows (list[tuple[str, dict[str, float]]]): ``(row name, {metric: value})`` per score, in order.
            n_known (int): Number of known test samples.
            n_unknown (int): Number of unknown test samples.
            caveats (Sequence[str]): Lines printed under the title, each after ``!!``. Defaults to none.

        Returns:
            str: The table, preceded by an empty line.
        """
        title = (f'Open-set results: accuracy {accuracy:.2f}, {n_known} known / {n_unknown} unknown samples, all '
                 'values in % (* = the score of the osr/<metric> entries)')
        return _table(title, ('score', ), [((name, ), row) for name, row in rows], caveats)

    @staticmethod
    def format_set_table(accuracy: float, rows: List[Tuple[str, str, Dict[str, float]]], n_known: int,
                         n_unknown: Dict[str, int], caveats: Sequence[str] = ()) -> str:
        """A plain-text table of the open-set metrics (percent) of several unknown sets, one group of rows per set.

        Args:
            accuracy (float): Closed-set accuracy in percent.
            rows (list[tuple[str, str, dict[str, float]]]): ``(set, row name, {metric: value})`` per set and score,
                grouped by set.
            n_known (int): Number of known test samples.
            n_unknown (dict[str, int]): Number of unknown test samples of each set, in the order of the groups.
            caveats (Sequence[str]): Lines printed under the title, each after ``!!``. Defaults to none.

        Returns:
            str: The table, preceded by an empty line.
        """
        counts = ', '.join(f'{name} {count}' for name, count in n_unknown.items())
        title = (f'Open-set results per unknown set: accuracy {accuracy:.2f}, {n_known} known samples, unknown '
                 f'samples {counts}; each set against all known samples, all values in % (* = the score of the '
                 'osr/<set>/<metric> entries)')
        return _table(title, ('set', 'score'), [((unknown_set, name), row) for unknown_set, name, row in rows],
                      caveats)


def _table(title: str, key_columns: Tuple[str, ...], rows: List[Tuple[Tuple[str, ...], Dict[str, float]]],
           caveats: Sequence[str] = ()) -> str:
    """A plain-text table with the key columns, then one column per metric of :data:`OPEN_SET_METRICS`; a rule
    separates the groups of rows whose first key differs. Each caveat is a line ``!! <caveat>`` under the title."""
    widths = [max(len(column), *(len(keys[position]) for keys, _ in rows))
              for position, column in enumerate(key_columns)]

    def keys_text(keys):
        return ' | '.join(f'{key:<{width}}' for key, width in zip(keys, widths))

    header = keys_text(key_columns) + ' | ' + ' | '.join(f'{metric:>8}' for metric in OPEN_SET_METRICS)
    rule = '-' * len(header)
    lines = []
    for position, (keys, row) in enumerate(rows):
        if len(key_columns) > 1 and position and keys[0] != rows[position - 1][0][0]:
            lines.append(rule)
        lines.append(keys_text(keys) + ' | ' + ' | '.join(f'{row[metric]:8.2f}' for metric in OPEN_SET_METRICS))
    marked = [f'{CAVEAT_MARK} {caveat}' for caveat in caveats]
    return '\n'.join(['', title, *marked, rule, header, rule, *lines, rule])


@METRICS.register_module()
class OpenSetScoreDump(OpenSetScoreMetric):
    """Save the logits, labels and open-set scores of the test set to an ``.npz`` file (``tools/test.py --out``).

    The file holds ``logits`` [N, C] float32, ``labels`` [N] int64 (-1 = unknown), and ``scores_<name>`` [N]
    float64 for every score of ``scores`` (higher = more known); when the samples carry ``unknown_set`` (a test set
    with several named unknown sets), also ``unknown_set`` [N] (numpy unicode, ``''`` for a known sample); with
    ``config``, also ``config`` (a numpy unicode scalar: the config that produced the scores, which names the curves
    of ``tools/analysis/plot_osr_curves.py``). It can be read with ``np.load(allow_pickle=False)`` and is what
    ``tools/analysis/plot_osr_curves.py`` plots. Returns no metrics.

    Args:
        out_file (str): Path of the ``.npz`` file; parent directories are created.
        scores (str | Sequence[str | dict]): The scores to save (see :func:`build_scores`). Defaults to MLS, MSP and
            energy (temperature 1), which need nothing but the logits.
        collect_device (str): Device used to collect results across ranks, ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Prefix of the (empty) metric names; ``None`` means ``'osr_dump'``.
        config (str, optional): The config's name or path, saved as ``config`` (``tools/test.py`` gives its CONFIG
            argument). Defaults to None (not saved).
    """
    default_prefix = 'osr_dump'

    def __init__(self,
                 out_file: str,
                 scores: ScoresArg = ('mls', 'msp', 'energy'),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 config: Optional[str] = None) -> None:
        if not out_file.endswith('.npz'):
            raise ValueError(f'out_file must end with .npz, got {out_file!r}.')
        super().__init__(scores=scores, collect_device=collect_device, prefix=prefix)
        if not self.scores:
            raise ValueError('OpenSetScoreDump needs at least one score.')
        self.out_file = out_file
        self.config = config

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Write the ``.npz`` file and return an empty dict.

        Args:
            results (list[dict]): The per-sample results of :meth:`process` from all ranks.

        Returns:
            dict: Always empty.
        """
        test = self._test_bank(results)
        names = self._unknown_set_names(results)
        arrays = dict(logits=test.logits, labels=test.labels)
        if self.config is not None:
            arrays['config'] = np.asarray(self.config, dtype=str)
        if names is not None:
            arrays['unknown_set'] = np.asarray(names, dtype=str)
            named_known = int(((test.labels != UNKNOWN_LABEL) & (arrays['unknown_set'] != '')).sum())
            if named_known:
                raise ValueError(f"{named_known} known test sample(s) name an unknown set: known samples have "
                                 "unknown_set ''.")
        scores = self._compute_scores(test)
        arrays.update({f'scores_{name}': values for name, values in scores.items()})
        mkdir_or_exist(osp.dirname(osp.abspath(self.out_file)))
        np.savez(self.out_file, **arrays)
        saved = 'logits, labels' + (', unknown sets' if names is not None else '')
        print_log(f'Saved {saved} and {len(scores)} open-set scores ({", ".join(scores)}) of '
                  f'{len(test.labels)} samples to {self.out_file}', logger='current')
        return {}
