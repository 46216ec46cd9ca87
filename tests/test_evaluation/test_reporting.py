"""median_of_last_epochs on fake MMEngine histories (scalars.json records): the papers' per-run statistic."""
import math

import pytest

from openmixosr.evaluation import REPORTED_EPOCHS, median_of_last_epochs


def _history(values_by_epoch, key='accuracy/top1', iters_per_epoch=3):
    """Training records (step = iteration, no metric) interleaved with validation records (step = epoch)."""
    records = []
    for epoch in range(1, max(values_by_epoch) + 1):
        records += [dict(lr=0.1, loss=1.0, epoch=epoch, iter=i, step=i)
                    for i in range((epoch - 1) * iters_per_epoch + 1, epoch * iters_per_epoch + 1)]
        if epoch in values_by_epoch:
            records.append({key: values_by_epoch[epoch], 'accuracy/top5': 99.0, 'data_time': 0.1, 'step': epoch})
    return records


def test_median_of_the_last_ten_epochs_by_hand():
    assert REPORTED_EPOCHS == 10
    # every 10 epochs up to 790, then every epoch: 791..800 hold 70, 71, ..., 79 (shuffled) -> median (74 + 75) / 2
    values = {epoch: 10.0 for epoch in range(10, 791, 10)}
    last = [77.0, 70.0, 79.0, 72.0, 74.0, 71.0, 75.0, 73.0, 78.0, 76.0]
    values.update(zip(range(791, 801), last))
    history = _history(values)
    assert median_of_last_epochs(history, 'accuracy/top1', max_epochs=800) == 74.5
    # the last epoch alone is 76.0: the statistic is not the last value
    assert median_of_last_epochs(history, 'accuracy/top1', max_epochs=800, num_epochs=1) == 76.0
    assert median_of_last_epochs(history, 'accuracy/top1', max_epochs=800, num_epochs=3) == 76.0  # 73, 78, 76


def test_epochs_before_the_window_and_other_keys_do_not_count():
    values = {epoch: float(epoch) for epoch in range(1, 21)}
    values[5] = math.nan  # outside the window: ignored
    history = _history(values)
    assert median_of_last_epochs(history, 'accuracy/top1', max_epochs=20) == 15.5  # median of 11..20
    assert median_of_last_epochs(history, 'accuracy/top5', max_epochs=20) == 99.0


def test_a_revalidated_epoch_counts_once_with_its_later_value():
    """A run resumed from an earlier checkpoint validates some epochs twice (its later log files come later)."""
    first = _history({epoch: 50.0 for epoch in range(1, 16)})
    resumed = _history({epoch: float(epoch) for epoch in range(1, 21)})[-60:]  # epochs 6..20 again
    assert median_of_last_epochs(first + resumed, 'accuracy/top1', max_epochs=20) == 15.5


def test_missing_epochs_are_refused_by_name():
    every_tenth = _history({epoch: 1.0 for epoch in range(10, 801, 10)})
    with pytest.raises(ValueError, match=r'after epochs \[791, 792, 793, 794, 795, 796, 797, 798, 799\]'):
        median_of_last_epochs(every_tenth, 'accuracy/top1', max_epochs=800)
    stopped_early = _history({epoch: 1.0 for epoch in range(1, 796)})
    with pytest.raises(ValueError, match=r'after epochs \[796, 797, 798, 799, 800\]'):
        median_of_last_epochs(stopped_early, 'accuracy/top1', max_epochs=800)
    with pytest.raises(ValueError, match=r"no 'osr/accuracy' validation"):
        median_of_last_epochs(stopped_early, 'osr/accuracy', max_epochs=795)


def test_short_runs_other_runs_and_non_finite_values_are_refused():
    with pytest.raises(ValueError, match='needs a run of at least 10 epochs; this one has max_epochs=5'):
        median_of_last_epochs(_history({epoch: 1.0 for epoch in range(1, 6)}), 'accuracy/top1', max_epochs=5)
    longer = _history({epoch: 1.0 for epoch in range(1, 31)})
    with pytest.raises(ValueError, match='validation record of epoch 21 in a history of max_epochs=20'):
        median_of_last_epochs(longer, 'accuracy/top1', max_epochs=20)
    values = {epoch: 1.0 for epoch in range(1, 21)}
    values[17] = math.inf
    with pytest.raises(ValueError, match='not finite'):
        median_of_last_epochs(_history(values), 'accuracy/top1', max_epochs=20)
    with pytest.raises(ValueError, match='num_epochs must be >= 1'):
        median_of_last_epochs([], 'accuracy/top1', max_epochs=20, num_epochs=0)
