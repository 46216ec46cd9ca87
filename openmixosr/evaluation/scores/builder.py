"""Build scores from a log key (``'knn'``), a type name (``'KNNScore'``) or a config dict; the ``'all'`` list."""
from typing import Dict, List, Union

from openmixosr.registry import OPEN_SET_SCORES
from .base import OpenSetScore

# Log key -> default config. Every one-pass score, in the order of tables and logs.
SCORE_CONFIGS: Dict[str, dict] = dict(
    msp=dict(type='MSPScore'),
    mls=dict(type='MaxLogitScore'),
    energy=dict(type='EnergyScore'),
    entropy=dict(type='EntropyScore'),
    gen=dict(type='GENScore'),
    react=dict(type='ReActScore'),
    ash_p=dict(type='ASHScore', variant='p'),
    ash_b=dict(type='ASHScore', variant='b'),
    ash_s=dict(type='ASHScore', variant='s'),
    dice=dict(type='DICEScore'),
    klm=dict(type='KLMatchingScore'),
    knn=dict(type='KNNScore'),
    mahalanobis=dict(type='MahalanobisScore'),
    rmds=dict(type='RelativeMahalanobisScore'),
    vim=dict(type='ViMScore'),
    she=dict(type='SHEScore'),
    openmax=dict(type='OpenMaxScore'),
    gradnorm=dict(type='GradNormScore'),
)
# What ``scores='all'`` evaluates: every score computable from one pass (features + logits). ODIN
# (:func:`odin_scores`) needs the network in the loop and is not here.
ALL_ONE_PASS_SCORES: List[dict] = [dict(config) for config in SCORE_CONFIGS.values()]


def build_score(cfg_or_name: Union[str, dict]) -> OpenSetScore:
    """Build an unfitted score.

    Args:
        cfg_or_name (str | dict): A log key of :data:`SCORE_CONFIGS` (``'mls'``, ``'ash_p'``), a registered type
            name (``'KNNScore'``), or a config ``dict(type='KNNScore', k=50)``.

    Returns:
        OpenSetScore: The score, to be fitted.
    """
    if isinstance(cfg_or_name, str):
        if cfg_or_name in SCORE_CONFIGS:
            cfg = SCORE_CONFIGS[cfg_or_name]
        elif OPEN_SET_SCORES.get(cfg_or_name) is not None:
            cfg = dict(type=cfg_or_name)
        else:
            raise KeyError(f'unknown open-set score {cfg_or_name!r}; known: {sorted(SCORE_CONFIGS)} or a type in '
                           f'OPEN_SET_SCORES')
    else:
        cfg = cfg_or_name
    return OPEN_SET_SCORES.build(dict(cfg))
