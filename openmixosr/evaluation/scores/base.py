"""The data every open-set score works on, and the base class of the scores (docs/scores.md).

A score is fitted once (:meth:`OpenSetScore.fit`: the classifier's final linear layer and, for some scores, a
:class:`FeatureBank` of the training set) and then maps a test :class:`FeatureBank` to one float per sample, higher =
more likely known. Everything is numpy; the fitted statistics are numpy arrays (:meth:`OpenSetScore.state_dict`), so
they can be cached next to a checkpoint.
"""
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

import numpy as np


@dataclass
class FinalLinear:
    """The classifier's last linear layer: ``logits = features @ weight.T + bias``.

    Args:
        weight (np.ndarray): [C, D] float32.
        bias (np.ndarray): [C] float32.
    """
    weight: np.ndarray
    bias: np.ndarray


@dataclass
class FeatureBank:
    """One pass of the network over a dataset.

    Args:
        features (np.ndarray): [N, D] float32, the pooled features (the head's input).
        logits (np.ndarray): [N, C] float32.
        labels (np.ndarray, optional): [N] int64; class ids on the training set, -1 = unknown on a test set.
    """
    features: np.ndarray
    logits: np.ndarray
    labels: Optional[np.ndarray] = None


def check_finite_matrix(values, name: str, width: Optional[int] = None, width_name: str = '') -> np.ndarray:
    """Return ``values`` as a 2-D array; raise a ``ValueError`` on NaN/inf, a wrong rank or a wrong width.

    Args:
        values (array_like): The matrix to check.
        name (str): What it is (``'training features'``), for the messages.
        width (int, optional): The required number of columns. None accepts any.
        width_name (str): Where the required width comes from, for the message.

    Returns:
        np.ndarray: ``values`` as an array (no copy if it already is one).
    """
    if values is None:
        raise ValueError(f'{name} are missing (None).')
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError(f'{name} must be 2-D [N, width], got shape {values.shape}.')
    if width is not None and values.shape[1] != width:
        raise ValueError(f'{name} have width {values.shape[1]}, but {width_name} expects {width}.')
    if not np.isfinite(values).all():
        problem = 'NaN' if np.isnan(values).any() else 'inf'
        raise ValueError(f'{name} contain {problem}; open-set scores need finite inputs.')
    return values


def check_class_labels(labels, num_samples: int, num_classes: int) -> np.ndarray:
    """Return training labels as int64 class ids; raise a ``ValueError`` on anything else.

    Integer arrays and float arrays of whole numbers are accepted; NaN / inf, fractional values, other dtypes, a wrong
    shape and ids outside ``[0, num_classes)`` are refused (a cast would turn them into other classes silently).

    Args:
        labels (array_like): [N] labels.
        num_samples (int): N, the bank's number of samples.
        num_classes (int): C.

    Returns:
        np.ndarray: [N] int64.
    """
    labels = np.asarray(labels)
    if labels.shape != (num_samples, ):
        raise ValueError(f'training labels must have shape ({num_samples},), got {labels.shape}.')
    if labels.dtype.kind not in 'iuf':
        raise ValueError(f'training labels must be integer class ids, got dtype {labels.dtype}.')
    if labels.dtype.kind == 'f':
        if not np.isfinite(labels).all():
            raise ValueError(f'training labels contain {"NaN" if np.isnan(labels).any() else "inf"}; they must be '
                             'integer class ids.')
        fractional = labels[labels != np.round(labels)]
        if fractional.size:
            raise ValueError(f'training labels must be integer class ids, got {fractional.size} fractional values '
                             f'(e.g. {fractional[:3].tolist()}).')
    if num_samples and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f'training labels must be class ids in [0, {num_classes}), got values in '
                         f'[{labels.min()}, {labels.max()}].')
    return labels.astype(np.int64)


class OpenSetScore(metaclass=ABCMeta):
    """Base class of the post-hoc open-set scores. Higher score = more likely known.

    Subclasses set the class attributes below, implement :meth:`_score` (and :meth:`_fit` if they keep statistics)
    and list the attributes :meth:`_fit` sets in ``fitted_attributes``; :meth:`fit` and :meth:`score` check the
    inputs first (the only place the inputs are checked: the subclasses declare what they read), so the subclasses
    receive finite arrays of the right widths, integer class ids and, if they say so, at least two classes.

    Class attributes:
        name (str): The registry's lower-case key, used in logs (``osr/<name>/auroc``).
        needs_train_set (bool): :meth:`fit` needs a training :class:`FeatureBank`.
        needs_train_labels (bool): ... with labels.
        needs_final_layer (bool): :meth:`fit` needs the :class:`FinalLinear` (scores that recompute logits).
        uses_features (bool): :meth:`score` reads ``test.features`` (else only ``test.logits``).
        needs_two_classes (bool): The score is the same for every sample of a one-class head (C = 1), e.g. the
            maximum softmax probability is always 1: :meth:`fit` and :meth:`score` refuse C = 1.
        fitted_attributes (tuple[str]): The attributes :meth:`_fit` sets; they make up :meth:`state_dict`.
        presets (dict, optional): The log names the class is known by and their constructor arguments, for a class
            with several named settings (``ASHScore``: ``ash_p``, ``ash_b``, ``ash_s``); None means one,
            ``{name: {}}``. The score names (``'knn'``) and the ``'all'`` list are derived from these
            (:func:`~openmixosr.evaluation.scores.builder.score_configs`).
    """
    name: str = ''
    presets: Optional[Dict[str, Dict[str, Any]]] = None
    needs_train_set: bool = False
    needs_train_labels: bool = False
    needs_final_layer: bool = False
    uses_features: bool = False
    needs_two_classes: bool = False
    fitted_attributes: Tuple[str, ...] = ()

    def __init__(self) -> None:
        self._fitted = False
        self.feature_dim = -1  # -1: not known (a logit-only score fitted without the final layer)
        self.num_classes = -1

    # ------------------------------------------------------------------------------------------------------------------
    # Hyper-parameters (subclasses with constructor arguments override)
    # ------------------------------------------------------------------------------------------------------------------
    def hyper_parameters(self) -> Dict[str, Any]:
        """The constructor arguments that change the fitted statistics or the scores; stored in the state dict."""
        return {}

    def __repr__(self) -> str:
        arguments = ', '.join(f'{key}={value!r}' for key, value in self.hyper_parameters().items())
        return f'{type(self).__name__}({arguments})'

    # ------------------------------------------------------------------------------------------------------------------
    # Fitting
    # ------------------------------------------------------------------------------------------------------------------
    def fit(self, final_layer: Optional[FinalLinear] = None, train: Optional[FeatureBank] = None) -> 'OpenSetScore':
        """Fit the score's statistics. Every score is fitted (possibly on nothing) before :meth:`score`.

        Args:
            final_layer (FinalLinear, optional): The classifier's last linear layer. Required by the scores that
                recompute logits (``needs_final_layer``); when given, it fixes the feature width and class count
                that the training and test banks must have.
            train (FeatureBank, optional): The training set's features, logits (and labels). Required when
                ``needs_train_set``; ignored otherwise.

        Returns:
            OpenSetScore: ``self``.

        Raises:
            ValueError: A required input is missing or empty, contains NaN/inf, or the widths disagree; training
                labels (when read) that are not integer class ids; a one-class head for a ``needs_two_classes``
                score.
        """
        if final_layer is not None:
            final_layer = self._check_final_layer(final_layer)
        elif self.needs_final_layer:
            raise ValueError(f'{type(self).__name__} recomputes logits and needs the final linear layer; got None.')
        if self.needs_train_set:
            train = self._check_train(train)
        else:
            train = None
        self._check_class_count(self.num_classes)
        self._fit(final_layer, train)
        self._fitted = True
        return self

    def _check_final_layer(self, final_layer: FinalLinear) -> FinalLinear:
        weight = check_finite_matrix(final_layer.weight, 'final-layer weights')
        bias = np.asarray(final_layer.bias)
        if bias.shape != (weight.shape[0], ):
            raise ValueError(f'final-layer bias must have shape ({weight.shape[0]},) for a weight of shape '
                             f'{weight.shape}, got {bias.shape}.')
        if not np.isfinite(bias).all():
            raise ValueError('final-layer bias contains NaN or inf.')
        self.num_classes, self.feature_dim = weight.shape
        return FinalLinear(weight=weight, bias=bias)

    def _check_train(self, train: Optional[FeatureBank]) -> FeatureBank:
        if train is None:
            raise ValueError(f'{type(self).__name__} is fitted on the training set, but no training bank was given.')
        features = check_finite_matrix(train.features, 'training features', self._known(self.feature_dim),
                                       'the final linear layer')
        logits = check_finite_matrix(train.logits, 'training logits', self._known(self.num_classes),
                                     'the final linear layer')
        if features.shape[0] == 0:
            raise ValueError(f'the training bank is empty: {type(self).__name__} needs training samples.')
        if logits.shape[0] != features.shape[0]:
            raise ValueError(f'the training bank has {features.shape[0]} features but {logits.shape[0]} logits.')
        self.feature_dim, self.num_classes = features.shape[1], logits.shape[1]
        labels = train.labels
        if self.needs_train_labels:
            if labels is None:
                raise ValueError(f'{type(self).__name__} needs the training labels; the bank has none.')
            labels = check_class_labels(labels, features.shape[0], self.num_classes)
        return FeatureBank(features=features, logits=logits, labels=labels)

    def _check_class_count(self, num_classes: int) -> None:
        if self.needs_two_classes and num_classes == 1:
            raise ValueError(f'{type(self).__name__} gives every sample the same score with a one-class head '
                             '(C = 1): it cannot tell known from unknown. Use a score that reads the logit or the '
                             'features themselves (e.g. mls, energy, knn).')

    @staticmethod
    def _known(width: int) -> Optional[int]:
        return width if width >= 0 else None

    def _fit(self, final_layer: Optional[FinalLinear], train: Optional[FeatureBank]) -> None:
        """Compute the fitted attributes (inputs already checked). Scores without statistics keep this no-op."""

    # ------------------------------------------------------------------------------------------------------------------
    # Scoring
    # ------------------------------------------------------------------------------------------------------------------
    def score(self, test: FeatureBank) -> np.ndarray:
        """Score every test sample; higher = more likely known.

        Args:
            test (FeatureBank): Test logits (and features if ``uses_features``); labels are not read.

        Returns:
            np.ndarray: [N] float64, finite.

        Raises:
            RuntimeError: The score was neither fitted nor loaded.
            ValueError: NaN/inf inputs (the features only when the score reads them), widths that disagree with the
                fitted ones, or one-class logits for a ``needs_two_classes`` score.
        """
        if not self._fitted:
            raise RuntimeError(f'{type(self).__name__} is not fitted: call fit() or load_state_dict() first.')
        logits = check_finite_matrix(test.logits, 'test logits', self._known(self.num_classes), 'the fitted score')
        self._check_class_count(logits.shape[1])
        features = None
        if self.uses_features:
            features = check_finite_matrix(test.features, 'test features', self._known(self.feature_dim),
                                           'the fitted score')
            if features.shape[0] != logits.shape[0]:
                raise ValueError(f'the test bank has {features.shape[0]} features but {logits.shape[0]} logits.')
        scores = np.asarray(self._score(FeatureBank(features=features, logits=logits)), dtype=np.float64)
        if scores.shape != (logits.shape[0], ):
            raise AssertionError(f'{type(self).__name__} returned shape {scores.shape} for {logits.shape[0]} samples.')
        if not np.isfinite(scores).all():
            raise ValueError(f'{type(self).__name__} produced non-finite scores (overflow on these inputs?).')
        return scores

    @abstractmethod
    def _score(self, test: FeatureBank) -> np.ndarray:
        """[N] scores of checked inputs (``test.features`` is None unless ``uses_features``)."""

    # ------------------------------------------------------------------------------------------------------------------
    # Fitted statistics
    # ------------------------------------------------------------------------------------------------------------------
    def state_dict(self) -> Dict[str, np.ndarray]:
        """The fitted statistics as numpy arrays, with the widths and hyper-parameters they were fitted with.

        Returns:
            dict[str, np.ndarray]: ``feature_dim``, ``num_classes``, ``hyper_parameters/<name>`` and the
            ``fitted_attributes``.
        """
        if not self._fitted:
            raise RuntimeError(f'{type(self).__name__} is not fitted: nothing to save.')
        state = dict(feature_dim=np.asarray(self.feature_dim), num_classes=np.asarray(self.num_classes))
        state.update({f'hyper_parameters/{key}': np.asarray(value) for key, value in self.hyper_parameters().items()})
        state.update({key: np.asarray(getattr(self, key)) for key in self.fitted_attributes})
        return state

    def load_state_dict(self, state: Dict[str, np.ndarray]) -> 'OpenSetScore':
        """Restore what :meth:`state_dict` returned; the score is then fitted.

        Args:
            state (dict[str, np.ndarray]): A state dict of the same class with the same hyper-parameters.

        Returns:
            OpenSetScore: ``self``.

        Raises:
            KeyError: Keys missing or unexpected.
            ValueError: The state was fitted with other hyper-parameters.
        """
        expected = {'feature_dim', 'num_classes', *self.fitted_attributes}
        expected |= {f'hyper_parameters/{key}' for key in self.hyper_parameters()}
        if set(state) != expected:
            raise KeyError(f'{type(self).__name__} state dict: missing {sorted(expected - set(state))}, '
                           f'unexpected {sorted(set(state) - expected)}.')
        for key, value in self.hyper_parameters().items():
            if np.asarray(state[f'hyper_parameters/{key}']).tolist() != np.asarray(value).tolist():
                raise ValueError(f'{type(self).__name__} state was fitted with {key}='
                                 f'{np.asarray(state[f"hyper_parameters/{key}"]).tolist()!r}, this score has '
                                 f'{key}={value!r}.')
        self.feature_dim, self.num_classes = int(state['feature_dim']), int(state['num_classes'])
        for key in self.fitted_attributes:
            setattr(self, key, np.asarray(state[key]))
        self._fitted = True
        return self
