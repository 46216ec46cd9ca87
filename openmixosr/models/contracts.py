"""What hooks, tools and the evaluation may rely on a model for, stated once as types.

Each contract is a ``typing.Protocol`` (checked with ``isinstance``, never with ``getattr`` and a default) or, for
what a tool must know from a config before anything is built, a base class
(:class:`DistillsFromTeacher`). The runner checks the contracts a run needs before its first epoch
(:func:`~openmixosr.engine.start_checks.model_contract_problems`); a model that misses one gets an error naming the
method to write. docs/get_started.md ("Extend OpenMixOSR") lists them for a model of one's own.

=========================  ===========================================================  ===========================
contract                   what                                                         who relies on it
=========================  ===========================================================  ===========================
:class:`OpenSetPredictor`  ``predict`` stores ``pred_logits`` and ``pred_features``;      ``OpenSetEvaluator``,
                           ``final_linear()`` is the evaluated network's last layer      ``FitOpenSetScoresHook``
:class:`EvaluatedWeights`  ``evaluated_weights()``: where the weights a test evaluates    the runner (saves it in
                           are, as ``{classifier prefix: own prefix}``                   checkpoints; loads them
                                                                                         into a classifier)
:class:`RequiresHooks`     ``required_hooks``: hook types a training run must register   the runner
:class:`BuiltFromCheckpoints` ``source_dataset_metas``: the classes of the checkpoints   the runner
                           the model was built from                                      (``--allow-other-classes``)
:class:`DrawsMasks`        ``masks_for(images, lam, index)``: learned masks on demand    ``visualize_mix.py``
:class:`DeclaresStepPasses` ``step_passes()``: forwards / backwards of a training step   ``tools/benchmark``
:class:`DistillsFromTeacher` a base class: the model loads a teacher trained by the      the table tools
                           config's ``teacher_config`` (``model.teacher_checkpoint``)
=========================  ===========================================================  ===========================
"""
from typing import Dict, List, Optional, Protocol, Tuple, runtime_checkable

import torch

#: ``evaluated_weights()`` of a plain classifier: its own weights, where they are.
OWN_WEIGHTS: Dict[str, str] = {'': ''}


@runtime_checkable
class OpenSetPredictor(Protocol):
    """A model the open-set evaluation can score.

    ``predict(inputs, data_samples)`` returns the data samples with ``pred_logits`` [C] (raw logits) and
    ``pred_features`` [D] (the input of the final linear layer, pooled) of the evaluated network
    (:func:`~openmixosr.models.utils.predictions.attach_predictions`); ``final_linear()`` returns that network's last
    linear layer as a ``FinalLinear`` (weight [C, D], bias [C]).
    """

    def predict(self, inputs: torch.Tensor, data_samples=None) -> List: ...

    def final_linear(self): ...


@runtime_checkable
class EvaluatedWeights(Protocol):
    """A model that says which of its weights a test run evaluates.

    ``evaluated_weights()`` maps the key prefixes of a plain classifier (``OpenSetClassifier``: ``backbone.``,
    ``neck.``, ``head.``) to the prefixes of this model's state dict that hold the evaluated network's weights:
    :data:`OWN_WEIGHTS` for a classifier, ``{'': 'student.'}`` for a distiller evaluating its student,
    ``{'backbone.': 'momentum_encoder.module.0.', ...}`` for AutoMix evaluating its momentum network; None for a
    model with no classifier to evaluate (self-supervised). The runner writes it into every checkpoint
    (``meta['evaluated_weights']``), so a classifier config tests any checkpoint of this toolkit without guessing from
    key names (:func:`~openmixosr.engine.checkpoint_compat.select_weights`).
    """

    def evaluated_weights(self) -> Optional[Dict[str, str]]: ...


@runtime_checkable
class RequiresHooks(Protocol):
    """A model that cannot train correctly without some hooks: ``required_hooks`` (hook type names), checked at the
    start of training (:func:`~openmixosr.engine.start_checks.check_required_hooks`)."""

    required_hooks: Tuple[str, ...]


@runtime_checkable
class BuiltFromCheckpoints(Protocol):
    """A model that loads checkpoints when it is built (a distiller's teacher): ``source_dataset_metas`` maps a
    description of each checkpoint to its ``meta.dataset_meta``, which the runner compares with the training set."""

    source_dataset_metas: Dict[str, Optional[dict]]


@runtime_checkable
class DrawsMasks(Protocol):
    """A model that can hold a learned mixer (``mixer``, a paired mixer): when ``mixer`` is a ``LearnedMaskMixer``,
    ``masks_for(images, lam, index)`` returns the Mix Block's output (``mask`` [N, 2, H, W], ``raw_mask``, ...) for a
    chosen ``lam`` and pairing, drawn as training draws it, leaving the model unchanged; with another mixer it raises
    ``TypeError`` (``tools/analysis/visualize_mix.py``)."""

    mixer: torch.nn.Module

    def masks_for(self, images: torch.Tensor, lam: float, index: torch.Tensor) -> Dict[str, torch.Tensor]: ...


@runtime_checkable
class DeclaresStepPasses(Protocol):
    """A model that declares the passes of its training steps (:mod:`~openmixosr.models.utils.step_passes`), read by
    ``tools/benchmark``."""

    def step_passes(self) -> Dict: ...


class DistillsFromTeacher:
    """Base class of a model that distils from a teacher: it loads the checkpoint ``model.teacher_checkpoint`` (a
    file, or the work dir of the teacher's run), and its configs name the teacher's recipe in ``teacher_config``
    (``openmixosr::NAME`` or a path). The table tools train that config first and hand its checkpoint over; they tell
    such a model from its config alone (``issubclass(MODELS.get(cfg.model.type), DistillsFromTeacher)``)."""

    #: The option that hands a teacher's checkpoint over (``--cfg-options``).
    teacher_checkpoint_option = 'model.teacher_checkpoint'


def distills_from_teacher(model_cfg: dict) -> bool:
    """Whether the model of a config is a :class:`DistillsFromTeacher` (from its registered type, nothing built).

    Raises:
        KeyError: The type is not registered.
    """
    from openmixosr.registry import MODELS
    model_class = MODELS.get(model_cfg['type'])
    if model_class is None:
        raise KeyError(f'{model_cfg["type"]!r} is not a registered model type (openmixosr.registry.MODELS).')
    return isinstance(model_class, type) and issubclass(model_class, DistillsFromTeacher)
