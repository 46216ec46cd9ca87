from .open_set import OPEN_SET_METRICS, OpenSetEvaluator, OpenSetScoreDump, OpenSetScoreMetric, build_scores

__all__ = ['OPEN_SET_METRICS', 'OpenSetEvaluator', 'OpenSetScoreDump', 'OpenSetScoreMetric', 'build_scores']
