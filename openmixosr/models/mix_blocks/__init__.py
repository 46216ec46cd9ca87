from .mix_block import BaseMixBlock, MixBlock
from .mix_block_plus import MixBlockPlus, adjust_to_lam

__all__ = ['BaseMixBlock', 'MixBlock', 'MixBlockPlus', 'adjust_to_lam']
