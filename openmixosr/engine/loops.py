"""Train loop that validates after each of a run's last epochs: what the AutoMix / AMix statistic needs."""
from typing import Dict, Union

from mmengine.runner import EpochBasedTrainLoop
from torch.utils.data import DataLoader

from openmixosr.evaluation.reporting import REPORTED_EPOCHS
from openmixosr.registry import LOOPS


@LOOPS.register_module()
class LastEpochsValTrainLoop(EpochBasedTrainLoop):
    """MMEngine's ``EpochBasedTrainLoop`` that also validates after each of the last ``val_last_epochs`` epochs.

    Validation runs after epochs ``val_interval, 2 val_interval, ...`` (from ``val_begin`` on, as in MMEngine) and after
    every epoch from ``max_epochs - val_last_epochs + 1`` to ``max_epochs`` (every epoch of a run no longer than
    ``val_last_epochs``). The AutoMix and AMix papers report, per run, the median of the top-1 accuracy over the last
    10 epochs (:func:`~openmixosr.evaluation.reporting.median_of_last_epochs`); validating every epoch of an 800-epoch
    run only for that would cost 800 test passes, this loop costs ``800 / val_interval + 9``.

    The epochs are computed from ``max_epochs`` when the loop is built, so ``--cfg-options train_cfg.max_epochs=N``
    moves them to the last epochs of the ``N``-epoch run. A config uses it as
    ``train_cfg = dict(type='LastEpochsValTrainLoop', max_epochs=800, val_interval=10)`` (no ``by_epoch`` key: MMEngine
    refuses ``type`` with ``by_epoch``).

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): The training dataloader or its config.
        max_epochs (int): Epochs of the run.
        val_begin (int): The first epoch after which validation may run. Defaults to 1.
        val_interval (int): Validation interval before the last epochs. Defaults to 1.
        val_last_epochs (int): How many final epochs are each followed by a validation. Defaults to
            :data:`~openmixosr.evaluation.reporting.REPORTED_EPOCHS` (10, the papers').
    """

    def __init__(self, runner, dataloader: Union[DataLoader, Dict], max_epochs: int, val_begin: int = 1,
                 val_interval: int = 1, val_last_epochs: int = REPORTED_EPOCHS) -> None:
        if val_last_epochs < 1:
            raise ValueError(f'val_last_epochs must be >= 1, got {val_last_epochs}.')
        first_every_epoch = max_epochs - val_last_epochs + 1
        if first_every_epoch <= 1:
            dynamic_intervals, val_interval = None, 1
        else:
            # MMEngine applies the interval of milestone m after epoch e when e + 1 >= m
            # (EpochBasedTrainLoop._decide_current_val_interval): m = first + 1 starts at epoch `first`.
            dynamic_intervals = [(first_every_epoch + 1, 1)]
        super().__init__(runner, dataloader, max_epochs, val_begin=val_begin, val_interval=val_interval,
                         dynamic_intervals=dynamic_intervals)
        self.val_last_epochs = val_last_epochs
