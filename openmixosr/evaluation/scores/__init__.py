"""Post-hoc open-set scores (docs/scores.md): fitted on a training-set feature bank, scoring one pass's features and
logits, higher = more known. ODIN is a function because it needs the network in the loop.

The modules are imported in the order of the tables (logit scores first): the registry's order is the order of the
``'all'`` list and of the score names (:func:`~openmixosr.evaluation.scores.builder.score_configs`).
"""
from .base import FeatureBank, FinalLinear, OpenSetScore
from .logit_scores import EnergyScore, EntropyScore, GENScore, MaxLogitScore, MSPScore  # isort: skip
from .feature_shaping import ASHScore, DICEScore, ReActScore  # isort: skip
from .class_patterns import KLMatchingScore, SHEScore  # isort: skip
from .knn import KNNScore  # isort: skip
from .gaussian import MahalanobisScore, RelativeMahalanobisScore  # isort: skip
from .vim import ViMScore  # isort: skip
from .openmax import OpenMaxScore  # isort: skip
from .gradnorm import GradNormScore  # isort: skip
from .builder import all_one_pass_scores, build_score, score_configs  # isort: skip
from .odin import odin_perturb, odin_scores  # isort: skip

__all__ = [
    'FeatureBank', 'FinalLinear', 'OpenSetScore', 'all_one_pass_scores', 'build_score', 'score_configs', 'MSPScore',
    'MaxLogitScore', 'EnergyScore', 'EntropyScore', 'GENScore', 'ReActScore', 'ASHScore', 'DICEScore',
    'KLMatchingScore', 'KNNScore', 'MahalanobisScore', 'RelativeMahalanobisScore', 'ViMScore', 'SHEScore',
    'OpenMaxScore', 'GradNormScore', 'odin_perturb', 'odin_scores'
]
