from .config import apply_osr_split, apply_pretrained, check_cfg_options, merge_tool_args
from .setup_env import register_all_modules

__all__ = ['apply_osr_split', 'apply_pretrained', 'check_cfg_options', 'merge_tool_args', 'register_all_modules']
