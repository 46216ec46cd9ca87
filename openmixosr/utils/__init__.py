from .config import (apply_data_roots, apply_osr_split, apply_pretrained, check_cfg_options, data_root_copies,
                     merge_cfg_options, merge_tool_args)
from .setup_env import register_all_modules

__all__ = [
    'apply_data_roots', 'apply_osr_split', 'apply_pretrained', 'check_cfg_options', 'data_root_copies',
    'merge_cfg_options', 'merge_tool_args', 'register_all_modules'
]
