"""A test-only hook that interrupts training like Ctrl-C, right after a checkpoint was written."""
from mmengine.hooks import Hook

from openmixosr.registry import HOOKS


@HOOKS.register_module()
class InterruptHook(Hook):
    """Raise ``KeyboardInterrupt`` at the end of epoch ``after_epoch`` (1-based), after every other hook ran."""

    priority = 'LOWEST'

    def __init__(self, after_epoch: int):
        self.after_epoch = after_epoch

    def after_train_epoch(self, runner):
        if runner.epoch + 1 == self.after_epoch:
            raise KeyboardInterrupt(f'interrupted after epoch {self.after_epoch}')
