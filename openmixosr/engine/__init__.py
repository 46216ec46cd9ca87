from .checkpoint import load_weights_only, register_weights_only_loader
from .dist import init_cpu_distributed
from .hooks import *  # noqa: F401,F403
from .model_wrapper import DeviceAwareDDP
from .optim_wrapper import CPUAutocastOptimWrapper

register_weights_only_loader()

__all__ = ['CPUAutocastOptimWrapper', 'DeviceAwareDDP', 'init_cpu_distributed', 'load_weights_only', 'register_weights_only_loader']
