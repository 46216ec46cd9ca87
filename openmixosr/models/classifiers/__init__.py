from .open_set_classifier import OpenSetClassifier

__all__ = ['OpenSetClassifier']
