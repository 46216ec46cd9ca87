from .open_set import OpenSetEvaluator, OpenSetScoreDump

__all__ = ['OpenSetEvaluator', 'OpenSetScoreDump']
