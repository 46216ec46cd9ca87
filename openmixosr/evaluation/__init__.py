from .feature_bank import collect_feature_bank, train_loader_with_test_pipeline
from .functional import (aupr_in, aupr_out, auroc, fpr_at_tpr, open_set_macro_f1, oscr, oscr_curve, roc_curve,
                         threshold_at_tpr)
from .metrics import OpenSetEvaluator, OpenSetScoreDump, OpenSetScoreMetric, TakesResultCaveats, build_scores
from .reporting import REPORTED_EPOCHS, median_of_last_epochs
from .score_cache import ScoreCache
from .score_fitting import FitOpenSetScoresHook

__all__ = [
    'auroc', 'oscr', 'oscr_curve', 'roc_curve', 'fpr_at_tpr', 'threshold_at_tpr', 'aupr_in', 'aupr_out',
    'open_set_macro_f1', 'OpenSetEvaluator',
    'OpenSetScoreDump', 'OpenSetScoreMetric', 'TakesResultCaveats', 'build_scores', 'collect_feature_bank',
    'train_loader_with_test_pipeline', 'ScoreCache', 'FitOpenSetScoresHook', 'REPORTED_EPOCHS',
    'median_of_last_epochs'
]
