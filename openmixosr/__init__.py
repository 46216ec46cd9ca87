"""OpenMixOSR: learned mixup (AutoMix, AMix) and asymmetric distillation for open-set recognition."""
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

__all__ = ['__version__']
