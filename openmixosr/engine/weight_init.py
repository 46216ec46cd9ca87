"""``init_cfg=dict(type='SafePretrained', ...)``: MMEngine's ``Pretrained`` initializer with weights-only loading."""
from mmengine.logging import print_log
from mmengine.model import PretrainedInit, update_init_info
from mmengine.runner import load_state_dict

from openmixosr.registry import WEIGHT_INITIALIZERS
from openmixosr.utils.checkpoint_io import load_checkpoint_file, load_checkpoint_to_model
from .checkpoint_compat import select_prefix


@WEIGHT_INITIALIZERS.register_module(name='SafePretrained')
class SafePretrainedInit(PretrainedInit):
    """Initialise a module from a checkpoint, loaded by :func:`~openmixosr.utils.checkpoint_io.load_checkpoint_file`.

    MMEngine's ``Pretrained`` loads local files with ``torch.load`` and torch's default allow-list, which refuses the
    numpy arrays and message hub that MMEngine (and OpenMixOSR) write into every training checkpoint. This one takes
    the same arguments and loads such checkpoints without unpickling anything but data. Importing OpenMixOSR does not
    change ``Pretrained``; a config chooses this initializer by name.

    Args:
        checkpoint (str): A local path or a URL.
        prefix (str, optional): Load only the entries under this prefix (e.g. ``'backbone.'``), without it.
            Defaults to None (the whole state dict).
        map_location (str): Same as :func:`torch.load`. Defaults to ``'cpu'``.
    """

    def __call__(self, module) -> None:
        if self.prefix is None:
            print_log(f'load model from: {self.checkpoint}', logger='current')
            load_checkpoint_to_model(module, self.checkpoint, map_location=self.map_location)
        else:
            print_log(f'load {self.prefix} in model from: {self.checkpoint}', logger='current')
            checkpoint = load_checkpoint_file(self.checkpoint, map_location=self.map_location)
            state_dict = checkpoint.get('state_dict', checkpoint)
            prefix = self.prefix if self.prefix.endswith('.') else self.prefix + '.'
            load_state_dict(module, select_prefix(state_dict, prefix), strict=False, logger='current')
        # The record update_init_info writes to exists only inside BaseModule.init_weights (MMEngine's initializers
        # test for it the same way).
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())
