"""Keep checkpoints loadable with ``torch.load(weights_only=True)``."""
from mmengine.hooks import Hook

from openmixosr.registry import HOOKS
from ..checkpoint import message_hub_from_plain, message_hub_to_plain


@HOOKS.register_module()
class SafeCheckpointHook(Hook):
    """Write the message hub's history buffers as plain arrays and read them back on resume.

    MMEngine pickles ``HistoryBuffer`` objects, whose state carries bound methods; loading those needs
    ``builtins.getattr`` in the unpickler, i.e. the ability to run code. With this hook a checkpoint holds only tensors,
    numpy arrays and builtin containers, which :func:`~openmixosr.engine.checkpoint.load_weights_only` accepts.

    :class:`~openmixosr.engine.hooks.AtomicCheckpointHook`, the checkpoint hook of the default runtime, does the same,
    so this hook is no longer needed; it stays for configs that list it in ``custom_hooks`` (both conversions leave
    already converted state alone, so having both is harmless).
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = message_hub_to_plain(checkpoint['message_hub'])

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = message_hub_from_plain(checkpoint['message_hub'])
