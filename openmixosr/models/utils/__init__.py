from .predictions import attach_predictions

__all__ = ['attach_predictions']
