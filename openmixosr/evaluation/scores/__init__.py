"""Post-hoc open-set scores (docs/scores.md): fitted on a training-set feature bank, scoring one pass's features and
logits, higher = more known. ODIN is a function because it needs the network in the loop."""
from .base import FeatureBank, FinalLinear, OpenSetScore
from .builder import ALL_ONE_PASS_SCORES, SCORE_CONFIGS, build_score
from .class_patterns import KLMatchingScore, SHEScore
from .feature_shaping import ASHScore, DICEScore, ReActScore
from .gaussian import MahalanobisScore, RelativeMahalanobisScore
from .gradnorm import GradNormScore
from .knn import KNNScore
from .logit_scores import EnergyScore, EntropyScore, GENScore, MaxLogitScore, MSPScore
from .odin import odin_perturb, odin_scores
from .openmax import OpenMaxScore
from .vim import ViMScore

__all__ = [
    'FeatureBank', 'FinalLinear', 'OpenSetScore', 'ALL_ONE_PASS_SCORES', 'SCORE_CONFIGS', 'build_score', 'MSPScore',
    'MaxLogitScore', 'EnergyScore', 'EntropyScore', 'GENScore', 'ReActScore', 'ASHScore', 'DICEScore',
    'KLMatchingScore', 'KNNScore', 'MahalanobisScore', 'RelativeMahalanobisScore', 'ViMScore', 'SHEScore',
    'OpenMaxScore', 'GradNormScore', 'odin_perturb', 'odin_scores'
]
