"""The statistic the AutoMix and AMix papers report for one training run (docs/automix.md, "What the tables report").

AutoMix Sec. 4.1: "we report the *mean* performance of 3 trials where the *median* of top-1 test accuracy in the last
10 training epochs is recorded for each trial"; AMix Sec. 4 ("reported the mean of 3 trials") and Sec. 4.1 ("The
median of test performances in the last 10 training epochs is recorded for each trial"). :func:`median_of_last_epochs`
is the per-trial part; the mean over trials (seeds) is taken by whoever aggregates the runs. The configs of those
rows validate after each of the last 10 epochs (:class:`~openmixosr.engine.LastEpochsValTrainLoop`), so that a run's
validation history holds the 10 values.
"""
import math
from typing import Iterable, Mapping

import numpy as np

#: How many final epochs the AutoMix / AMix statistic covers ("the last 10 training epochs").
REPORTED_EPOCHS = 10


def median_of_last_epochs(history: Iterable[Mapping], metric: str, max_epochs: int,
                          num_epochs: int = REPORTED_EPOCHS) -> float:
    """The median of ``metric`` over the validations after each of the last ``num_epochs`` epochs of a run.

    ``median({v_e : max_epochs - num_epochs < e <= max_epochs})`` (numpy's median: the mean of the two middle values
    for an even count, as for the papers' 10).

    Args:
        history (Iterable[Mapping]): The run's records in the order they were logged, as MMEngine writes them to
            ``<work_dir>/<timestamp>/vis_data/scalars.json`` (one JSON object per line; for a resumed run, the files
            of all its timestamps in time order). A validation record holds ``step`` (the epoch after which it
            validated: MMEngine's step with ``log_processor.by_epoch=True``, OpenMixOSR's default) and the metric
            keys. Records without ``metric`` (the training records, whose ``step`` is an iteration) are skipped; of
            two validations of the same epoch (a run resumed from an earlier checkpoint) the later one counts.
        metric (str): The key of the value, e.g. ``'accuracy/top1'`` (closed-set configs) or ``'osr/accuracy'``.
        max_epochs (int): The run's ``train_cfg.max_epochs``, its last epoch.
        num_epochs (int): How many final epochs. Defaults to :data:`REPORTED_EPOCHS` (10), the papers' value.

    Returns:
        float: The median.

    Raises:
        ValueError: When the run has fewer than ``num_epochs`` epochs, when a validation of one of the last
            ``num_epochs`` epochs is missing (e.g. a run that stopped early, or a config that does not validate every
            epoch there), when a record is of an epoch after ``max_epochs`` (another run's history), or when one of
            the values is not finite.
    """
    if num_epochs < 1:
        raise ValueError(f'num_epochs must be >= 1, got {num_epochs}.')
    if max_epochs < num_epochs:
        raise ValueError(f'the median of the last {num_epochs} epochs needs a run of at least {num_epochs} epochs; '
                         f'this one has max_epochs={max_epochs}. Report its last validation instead, marked as such.')
    values = {}
    for record in history:
        if metric not in record:
            continue
        epoch = int(record['step'])
        if epoch > max_epochs:
            raise ValueError(f'a validation record of epoch {epoch} in a history of max_epochs={max_epochs}: '
                             'is this the history of another run (or of a longer schedule)?')
        values[epoch] = float(record[metric])
    window = range(max_epochs - num_epochs + 1, max_epochs + 1)
    missing = [epoch for epoch in window if epoch not in values]
    if missing:
        raise ValueError(f'no {metric!r} validation after epochs {missing} of the last {num_epochs} (max_epochs='
                         f'{max_epochs}): the run stopped early, or its config does not validate every epoch there '
                         "(train_cfg = dict(type='LastEpochsValTrainLoop', ...), docs/automix.md).")
    last = [values[epoch] for epoch in window]
    if not all(math.isfinite(value) for value in last):
        raise ValueError(f'{metric!r} is not finite in the last {num_epochs} epochs: {last}.')
    return float(np.median(last))
