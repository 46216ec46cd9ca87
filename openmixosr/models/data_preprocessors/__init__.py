from .open_set_data_preprocessor import OpenSetDataPreprocessor

__all__ = ['OpenSetDataPreprocessor']
