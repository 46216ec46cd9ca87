from .pattern_task import (PatternTask, evaluate_mixers, fit_classifier, fit_mix_block, make_pattern_batch,
                           pattern_templates)

__all__ = ['PatternTask', 'evaluate_mixers', 'fit_classifier', 'fit_mix_block', 'make_pattern_batch',
           'pattern_templates']
