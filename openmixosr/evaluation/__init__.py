from .functional import (aupr_in, aupr_out, auroc, energy_score, fpr_at_tpr, max_logit_score, max_softmax_score,
                         open_set_macro_f1, open_set_score, oscr, oscr_curve, roc_curve, threshold_at_tpr)
from .metrics import OpenSetEvaluator, OpenSetScoreDump

__all__ = [
    'auroc', 'oscr', 'oscr_curve', 'roc_curve', 'fpr_at_tpr', 'threshold_at_tpr', 'aupr_in', 'aupr_out',
    'open_set_macro_f1', 'max_logit_score', 'max_softmax_score', 'energy_score', 'open_set_score', 'OpenSetEvaluator',
    'OpenSetScoreDump'
]
