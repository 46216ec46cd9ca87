"""Distributed training: make every process use the buffers (BatchNorm statistics) that the checkpoint saves."""
from mmengine.dist import broadcast, get_world_size
from mmengine.hooks import Hook

from openmixosr.registry import HOOKS
from .runner_model import runner_model


@HOOKS.register_module()
class BroadcastBuffersHook(Hook):
    """Copy process 0's model buffers to every process before each validation and at the end of each epoch.

    The model wrapper keeps ``broadcast_buffers=False`` (DDP would otherwise broadcast every buffer at every forward,
    and the models with several forwards per step would need it to agree with their in-place buffer updates), so each
    process keeps its own BatchNorm running statistics, computed on its share of the data. A checkpoint holds
    process 0's; without this hook distributed validation ran each process's share of the validation set through its
    own statistics, and the metrics logged during training differed from those of the saved checkpoint
    (``tools/test.py``). With it, validation and the checkpoint use the same statistics, and a resumed run starts every
    process from them, as the uninterrupted run does. Buffers do not take part in the training gradients
    (BatchNorm uses batch statistics in training mode), so training is unchanged. Nothing happens in a single process.

    It is one of the default hooks (``default_hooks.sync_buffers``). Its priority puts it before the checkpoint hook
    at the end of an epoch.
    """

    priority = 'LOW'

    @staticmethod
    def broadcast_buffers(runner) -> None:
        """Broadcast every buffer of the (unwrapped) model from process 0, in place."""
        if get_world_size() == 1:
            return
        model = runner_model(runner)
        for buffer in model.buffers():
            broadcast(buffer, src=0)

    def after_train_epoch(self, runner) -> None:
        self.broadcast_buffers(runner)

    def before_val_epoch(self, runner) -> None:
        self.broadcast_buffers(runner)
