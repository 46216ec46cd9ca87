from .algorithms import *  # noqa: F401,F403
from .backbones import *  # noqa: F401,F403
from .classifiers import *  # noqa: F401,F403
from .data_preprocessors import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .mix_blocks import *  # noqa: F401,F403
from .paired_mixers import *  # noqa: F401,F403
from .utils import attach_predictions

__all__ = ['attach_predictions']
