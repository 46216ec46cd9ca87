from .config import apply_osr_split
from .setup_env import register_all_modules

__all__ = ['apply_osr_split', 'register_all_modules']
