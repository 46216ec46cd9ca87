"""OpenMixOSR: learned mixup (AutoMix, AMix) and asymmetric distillation for open-set recognition."""
import warnings

import mmcv
import mmengine
import mmpretrain
from mmengine.utils import digit_version

from .version import __version__

_REQUIRED = {
    # package: (module, minimum inclusive, maximum exclusive)
    'mmcv-lite': (mmcv, '2.0.0', '2.4.0'),
    'mmengine': (mmengine, '0.10.0', '0.11.0'),
    'mmpretrain': (mmpretrain, '1.2.0', '1.3.0'),
}


def _check_versions():
    for name, (module, low, high) in _REQUIRED.items():
        version = digit_version(module.__version__)
        if not digit_version(low) <= version < digit_version(high):
            raise ImportError(
                f'OpenMixOSR needs {name}>={low},<{high} but found {module.__version__}. '
                f'Run `pip install "{name}>={low},<{high}"` (or reinstall OpenMixOSR with `pip install -e .`).')


_check_versions()


def _import_mmcv_transformer_quietly():
    """Import mmcv's transformer bricks (which mmpretrain's models import) without their one known warning.

    mmcv-lite has no compiled ops, so ``mmcv.cnn.bricks.transformer`` warns at import that
    ``MultiScaleDeformableAttention`` is missing, on every run; OpenMixOSR never uses it. Only that message is
    filtered, only during this import; the module is then cached, so later imports do not warn again.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='Fail to import ``MultiScaleDeformableAttention``',
                                category=UserWarning)
        import mmcv.cnn.bricks.transformer  # noqa: F401


_import_mmcv_transformer_quietly()


def _register_config_scope():
    """Let MMEngine resolve ``_base_ = 'openmixosr::asym/r18_digits.py'`` in an installed package.

    MMEngine resolves ``package::path`` configs only for the packages of its table ``MODULE2PACKAGE`` (OpenMMLab's)
    and offers no call to add one; its lookup then reads ``<installed package>/.mim/configs/path`` (the wheel ships
    the configs there) through ``pkg_resources`` (setuptools < 82, a requirement). The entry is added once, to that
    table only: MMEngine's behaviour for every other name stays as it is.
    """
    from mmengine.config.utils import MODULE2PACKAGE
    MODULE2PACKAGE.setdefault('openmixosr', 'openmixosr')


_register_config_scope()

__all__ = ['__version__']
