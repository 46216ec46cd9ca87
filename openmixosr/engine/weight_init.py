"""``init_cfg=dict(type='SafePretrained', ...)``: MMEngine's ``Pretrained`` initializer with weights-only loading."""
import os.path as osp

from mmengine.logging import print_log
from mmengine.model import PretrainedInit, update_init_info
from mmengine.runner import load_state_dict

from openmixosr.registry import WEIGHT_INITIALIZERS
from openmixosr.utils.checkpoint_io import load_checkpoint_file, strip_revise_keys
from .checkpoint_compat import CheckpointMismatchError, select_weights


@WEIGHT_INITIALIZERS.register_module(name='SafePretrained')
class SafePretrainedInit(PretrainedInit):
    """Initialise a module from a checkpoint, loaded by :func:`~openmixosr.utils.checkpoint_io.load_checkpoint_file`.

    MMEngine's ``Pretrained`` loads local files with ``torch.load`` and torch's default allow-list, which refuses the
    numpy arrays and message hub that MMEngine (and OpenMixOSR) write into every training checkpoint. This one takes
    the same arguments and loads such checkpoints without unpickling anything but data. Importing OpenMixOSR does not
    change ``Pretrained``; a config chooses this initializer by name.

    Args:
        checkpoint (str): A local path or a URL. OpenMixOSR never downloads weights a config names by path: a
            missing file is a :class:`FileNotFoundError` that says to put the file there.
        prefix (str, optional): Load only the entries under this prefix (e.g. ``'backbone.'``), without it.
            Defaults to None (the whole state dict, a leading ``module.`` dropped).
        map_location (str): Same as :func:`torch.load`. Defaults to ``'cpu'``.
        require_all (bool): Every parameter and buffer of the module (BatchNorm's ``num_batches_tracked`` counters
            aside) must be in the checkpoint; entries the module does not have, such as a pre-training head, are
            still skipped. Without it a checkpoint of other key names loads nothing and training starts from random
            weights with only a log line. Defaults to False (MMEngine's behaviour).
    """

    def __init__(self, *, require_all: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.require_all = require_all

    def __call__(self, module) -> None:
        if '://' not in self.checkpoint and not osp.isfile(self.checkpoint):
            raise FileNotFoundError(
                f'Pretrained weights {self.checkpoint} not found (init_cfg of {type(module).__name__}). OpenMixOSR '
                'never downloads weights: put the checkpoint file at that path, or set `init_cfg.checkpoint` '
                '(`--cfg-options`) to where it is.')
        checkpoint = load_checkpoint_file(self.checkpoint, map_location=self.map_location)
        state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else checkpoint
        if self.prefix is None:
            print_log(f'load model from: {self.checkpoint}', logger='current')
            state_dict = strip_revise_keys(state_dict, ((r'^module\.', ''), ))
        else:
            print_log(f'load {self.prefix} in model from: {self.checkpoint}', logger='current')
            prefix = self.prefix if self.prefix.endswith('.') else self.prefix + '.'
            state_dict = select_weights(state_dict, {'': prefix})
        if self.require_all:
            # BatchNorm's step counters are not weights (checkpoints of older torch versions lack them)
            missing = sorted(key for key in set(module.state_dict()) - set(state_dict)
                             if not key.endswith('num_batches_tracked'))
            if missing:
                raise CheckpointMismatchError(
                    f'{self.checkpoint} lacks {len(missing)} of the {len(module.state_dict())} entries of '
                    f'{type(module).__name__} (require_all=True), e.g. {missing[:3]}; its entries look like '
                    f'{sorted(state_dict)[:3]}. Is it the checkpoint the config expects (or does it need '
                    '`prefix=`)?')
        load_state_dict(module, state_dict, strict=False, logger='current')
        # The record update_init_info writes to exists only inside BaseModule.init_weights (MMEngine's initializers
        # test for it the same way).
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())
