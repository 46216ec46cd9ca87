"""Open-set metrics for mmengine's evaluator: :class:`OpenSetEvaluator` and :class:`OpenSetScoreDump`.

Both read the raw logits that the models store in ``pred_logits`` and the ground truth in ``gt_label``
(``-1`` = unknown sample) of each data sample, which mmengine's ``Evaluator`` passes as ``DataSample.to_dict()``.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.utils import mkdir_or_exist

from openmixosr.registry import METRICS
from ..functional import (aupr_in, aupr_out, auroc, energy_score, fpr_at_tpr, max_logit_score, max_softmax_score,
                          open_set_macro_f1, open_set_score, oscr, threshold_at_tpr)

UNKNOWN_LABEL = -1


def _logits_and_label(data_sample: dict) -> Tuple[np.ndarray, int]:
    """Read the raw logits ([C], float32 numpy on CPU) and the label (int, -1 = unknown) of one data sample."""
    if 'pred_logits' not in data_sample:
        raise KeyError('Open-set evaluation needs the raw logits of every sample, but the data sample has no '
                       '`pred_logits` field. The model must store its raw logits (shape [num_classes]) in '
                       f'`pred_logits` in `predict()`. Fields present: {sorted(data_sample)}.')
    logits = data_sample['pred_logits']
    if isinstance(logits, torch.Tensor):
        logits = logits.detach().cpu().numpy()
    label = np.asarray(data_sample['gt_label']).reshape(-1)
    if label.shape != (1, ):
        raise ValueError(f'gt_label must hold exactly one label, got {label.shape[0]}.')
    return np.asarray(logits, dtype=np.float32), int(label[0])


def _stack_results(results: List[dict]) -> Tuple[np.ndarray, np.ndarray]:
    """Stack the per-sample results of :class:`_LogitCollector` into logits [N, C] float32 and labels [N] int64."""
    logits = np.stack([result['logits'] for result in results])
    labels = np.array([result['label'] for result in results], dtype=np.int64)
    return logits, labels


class _LogitCollector(BaseMetric):
    """Keeps the raw logits and the label of every sample; subclasses turn them into metrics or files."""

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Store ``pred_logits`` and ``gt_label`` of each data sample in ``self.results``.

        Args:
            data_batch: The batch from the dataloader (unused).
            data_samples (Sequence[dict]): Model outputs as dicts with ``pred_logits`` [C] and ``gt_label`` [1].
        """
        for data_sample in data_samples:
            logits, label = _logits_and_label(data_sample)
            self.results.append(dict(logits=logits, label=label))


@METRICS.register_module()
class OpenSetEvaluator(_LogitCollector):
    """Closed-set accuracy and the open-set metrics of docs/metrics.md (Method reference), from the raw logits.

    Known samples have ``gt_label >= 0``, unknown samples ``gt_label == -1``. The open-set score of every sample is
    computed from its logits (see :func:`~openmixosr.evaluation.functional.open_set_score`). All returned values are
    percentages (0-100), like mmpretrain's ``Accuracy``:

    - ``accuracy``: closed-set top-1 accuracy (argmax of the logits) on the known samples only.
    - ``auroc``, ``oscr``, ``aupr_in``, ``aupr_out``: the threshold-free metrics, times 100.
    - ``fpr95``: percentage of unknown samples accepted at the threshold that keeps 95% of the known samples.
    - ``macro_f1``: macro-F1 over the known classes plus "unknown" at that same threshold.

    Without unknown (or known) samples the open-set metrics are undefined and ``compute_metrics`` raises.

    Args:
        score_type (str): ``'mls'`` (max logit, default), ``'msp'`` (max softmax) or ``'energy'``.
        temperature (float): Temperature of the energy score (only valid with ``score_type='energy'``).
            Defaults to 1.0.
        collect_device (str): Device used to collect results across ranks, ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Prefix of the metric names; ``None`` means ``'osr'``.
    """
    default_prefix = 'osr'

    def __init__(self,
                 score_type: str = 'mls',
                 temperature: float = 1.0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        open_set_score(np.zeros((1, 1)), score_type, temperature)  # fail at build time on a bad combination
        self.score_type = score_type
        self.temperature = temperature

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Compute the metrics (in percent) from the collected logits and labels, and log them as a table.

        Args:
            results (list[dict]): The per-sample results of :meth:`process` from all ranks.

        Returns:
            dict[str, float]: ``accuracy``, ``auroc``, ``oscr``, ``fpr95``, ``aupr_in``, ``aupr_out``, ``macro_f1``.
        """
        logits, labels = _stack_results(results)
        scores = open_set_score(logits, self.score_type, self.temperature)
        preds = logits.argmax(axis=1)
        known = labels != UNKNOWN_LABEL
        known_scores, unknown_scores = scores[known], scores[~known]
        known_labels, known_preds = labels[known], preds[known]
        # The functional metrics raise a ValueError if either set is empty; auroc runs first so that happens before
        # anything else (e.g. the mean of an empty accuracy array) is evaluated.
        auroc_value = auroc(known_scores, unknown_scores)
        correct = known_preds == known_labels
        metrics = dict(
            accuracy=correct.mean(),
            auroc=auroc_value,
            oscr=oscr(known_scores, correct, unknown_scores),
            fpr95=fpr_at_tpr(known_scores, unknown_scores, 0.95),
            aupr_in=aupr_in(known_scores, unknown_scores),
            aupr_out=aupr_out(known_scores, unknown_scores),
            macro_f1=open_set_macro_f1(known_scores, known_labels, known_preds, unknown_scores, preds[~known],
                                       threshold_at_tpr(known_scores, 0.95)),
        )
        metrics = {name: 100.0 * float(value) for name, value in metrics.items()}
        print_log(self._format_table(metrics, len(known_scores), len(unknown_scores)), logger='current')
        return metrics

    def _format_table(self, metrics: Dict[str, float], n_known: int, n_unknown: int) -> str:
        """A plain-text table of the metrics (percent) with the score type and the sample counts."""
        title = (f'Open-set results ({self.score_type.upper()} score, {n_known} known / {n_unknown} unknown '
                 f'samples, all values in %)')
        width = max(len(name) for name in metrics)
        rule = '-' * (width + 11)
        rows = [f'{name:<{width}} | {value:7.2f}' for name, value in metrics.items()]
        return '\n'.join(['', title, rule, f'{"metric":<{width}} | {"value":>7}', rule, *rows, rule])


@METRICS.register_module()
class OpenSetScoreDump(_LogitCollector):
    """Save the logits, labels and all open-set scores of the test set to an ``.npz`` file (``tools/test.py --out``).

    The file holds ``logits`` [N, C] float32, ``labels`` [N] int64 (-1 = unknown), and ``scores_mls``,
    ``scores_msp``, ``scores_energy`` (temperature 1) [N] float64. It can be read with ``np.load(allow_pickle=False)``
    and is what ``tools/analysis/plot_osr_curves.py`` plots. Returns no metrics.

    Args:
        out_file (str): Path of the ``.npz`` file; parent directories are created.
        collect_device (str): Device used to collect results across ranks, ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Prefix of the (empty) metric names; ``None`` means ``'osr_dump'``.
    """
    default_prefix = 'osr_dump'

    def __init__(self, out_file: str, collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not out_file.endswith('.npz'):
            raise ValueError(f'out_file must end with .npz, got {out_file!r}.')
        self.out_file = out_file

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Write the ``.npz`` file and return an empty dict.

        Args:
            results (list[dict]): The per-sample results of :meth:`process` from all ranks.

        Returns:
            dict: Always empty.
        """
        logits, labels = _stack_results(results)
        mkdir_or_exist(osp.dirname(osp.abspath(self.out_file)))
        np.savez(
            self.out_file,
            logits=logits,
            labels=labels,
            scores_mls=max_logit_score(logits),
            scores_msp=max_softmax_score(logits),
            scores_energy=energy_score(logits))
        print_log(f'Saved logits, labels and open-set scores of {len(labels)} samples to {self.out_file}',
                  logger='current')
        return {}
