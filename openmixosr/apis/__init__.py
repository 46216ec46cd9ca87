"""High-level APIs, as mmpretrain's ``mmpretrain.apis``: :class:`OpenSetInferencer` predicts the known class, the
open-set scores and a known / unknown decision for new images."""
from .open_set_inferencer import OpenSetInferencer

__all__ = ['OpenSetInferencer']
