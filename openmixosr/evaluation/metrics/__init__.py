from .open_set import (OPEN_SET_METRICS, OpenSetEvaluator, OpenSetScoreDump, OpenSetScoreMetric, TakesResultCaveats,
                       build_scores)

__all__ = [
    'OPEN_SET_METRICS', 'OpenSetEvaluator', 'OpenSetScoreDump', 'OpenSetScoreMetric', 'TakesResultCaveats',
    'build_scores'
]
