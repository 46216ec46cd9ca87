"""Asymmetric distillation for open-set recognition (Jia et al. 2024; docs/asymmetric_distillation.md, Method
reference)."""
import copy
import warnings
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample

from openmixosr.registry import MODELS
from openmixosr.utils.checkpoint_io import resolve_checkpoint
from ..contracts import DistillsFromTeacher
from ..losses import soft_target_cross_entropy
from ..paired_mixers import LearnedMaskMixer, build_paired_mixer
from ..utils import MixedBatch, attach_predictions, mixed_soft_label
from ..utils.declared_inputs import call_with_declared_inputs
from ..utils.head_loss import refuse_unused_head_loss
from ..utils.predictions import final_linear_of, head_features_and_logits
from ..utils.step_passes import NetworkPasses, StepPasses
from ..utils.truncated_forward import forward_capturing, forward_until
from .mode_dispatch import ModeDispatchMixin

KD_TARGETS = ('mixed', 'raw')
STUDENT_DRAWS = ('same', 'independent')
#: Arguments of earlier versions that weighed a loss module, and where each weight lives now.
REMOVED_WEIGHTS = {'mu': 'cmi_loss', 'eta': 'relabel_loss'}


def refuse_removed_weights(**given) -> None:
    """Refuse ``mu`` / ``eta``, the distiller's weights of ``L_CMI`` / ``L_relabel`` in earlier versions.

    Raises:
        ValueError: For each one given, naming the ``loss_weight`` that replaces it.
    """
    for name, value in given.items():
        if value is not None:
            loss = REMOVED_WEIGHTS[name]
            raise ValueError(f'AsymmetricDistiller: {name}={value!r} was removed: every loss carries its own weight '
                             f'now, so set `model.{loss}.loss_weight` instead (e.g. `model = dict({loss}=dict('
                             f'loss_weight={value!r}))` in a config, or `--cfg-options model.{loss}.loss_weight='
                             f'{value!r}`).')


def confusing_samples(teacher_mixed_logits: torch.Tensor, labels: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Relaxed verify: a mixed sample is confusing when the teacher's top class is neither ``y_i`` nor ``y_j``.

    Args:
        teacher_mixed_logits (Tensor): ``T(x_m)``, [N, C].
        labels (Tensor): ``y``, [N].
        index (Tensor): The pairing ``j``, [N].

    Returns:
        Tensor: Bool [N], True for the samples to relabel.
    """
    top = teacher_mixed_logits.argmax(dim=1)
    return (top != labels) & (top != labels[index])


@MODELS.register_module()
class AsymmetricDistiller(DistillsFromTeacher, ModeDispatchMixin, BaseModel):
    """A frozen teacher sees raw and mixed data; the student learns by DIST, cross mutual information and relabelling.

    Each training step is a raw step (asymmetric distillation Eq. 4) or, with probability ``p_mix``, a mixed step
    (asymmetric distillation Eq. 8; docs/asymmetric_distillation.md, Method reference):

    - raw: ``CE(S(x), y) + KD(S(x), T(x))``;
    - mixed (``x_m, j, lam`` from ``mixer``, CutMix by default): the teacher runs once on ``x_m`` and once on ``x``
      (the latter only when a loss needs ``T(x)``); ``T(x_j)`` is ``T(x)[j]``, no extra pass. Samples whose teacher
      top class is neither ``y_i`` nor ``y_j`` are *confusing* (relaxed verify). Then
      ``L_mixed = KD(S(x_m), T_target)`` over the other samples ``+ mu * L_CMI + eta * L_relabel`` over the confusing
      ones ``[+ mixed_ce_weight * MCE(S(x_m))`` over the other samples, an option the paper's loss does not have].

    Every loss module carries its own weight (``loss_weight``, mmpretrain's convention) and the distiller adds the
    losses as they return them: ``mu`` is ``cmi_loss.loss_weight``, ``eta`` is ``relabel_loss.loss_weight``, the
    weight of ``KD`` is ``kd_loss.loss_weight``. The two terms the distiller computes itself, the raw step's ``CE``
    (weight 1) and the optional mixup CE, are no loss modules; ``mixed_ce_weight`` weighs the latter. The student
    head's ``loss`` is therefore never called: a student head configured with anything but plain cross-entropy is
    refused when the distiller is built (the teacher's head keeps the loss it was trained with; it is frozen here).
    The CMI loss declares its inputs in ``mixup_inputs`` and receives them by name; the distiller offers
    ``student_mixed_logits`` ``S(x_m)``, ``student_mixed_features`` (the student's pooled features on ``x_m``),
    ``teacher_raw_logits`` ``T(x)``, ``teacher_raw_features``, ``index`` and ``lam``: the DIST estimator takes the
    logits, the InfoNCE one the pooled features.

    Learned masks (``mixer=dict(type='LearnedMaskMixer', ...)``, docs/asymmetric_distillation.md, "Learned masks"):
    the frozen teacher plays the part AutoMix gives its momentum encoder. The Mix Block's features are the teacher's
    stage ``mixer.mix_layer`` on the clean batch (taken from the ``T(x)`` pass when there is one); a trained Mix
    Block learns from ``mixup_CE(T(x_m), y, j, lam) + L_mask`` (or AMix's parametric BCE), which reaches it through
    the frozen teacher and nothing else, while the student learns from the detached mix: the same draw
    (``learned_student_draw='same'``: ``T(x_m)`` of the generation loss serves the verify and KD, one teacher pass
    fewer) or a second, independent draw (``'independent'``, AutoMix's choice). Every lam-weighted term uses each
    sample's own share ``mean(s_i)``. A trained Mix Block needs ``MaskLossScheduleHook`` (``required_hooks``).

    Passes per step (:meth:`step_passes`): raw, teacher 1 x N forward, student 1 x N forward + backward; mixed,
    teacher 2 x N forwards (1 x N when neither the CMI term nor ``kd_target='raw'`` needs ``T(x)``), student 1 x N
    forward + backward; a trained learned mixer makes the ``T(x_m)`` forward one with a graph and an input-only
    backward, adds the Mix Block (forward + backward) and the teacher's stages up to ``mix_layer`` when no ``T(x)``
    pass provides them, and with ``'independent'`` draws a second mask and runs ``T`` on it without a graph.

    Options of the ablation (paper Table 6) and of the authors' released code:

    - ``cmi_loss=None`` drops the cross mutual information; ``relabel_loss=None`` drops relabelling *and* the verify
      (KD then covers every mixed sample: symmetric distillation on mixed data);
    - ``kd_target='raw'`` distils the non-confusing mixed samples toward ``T(x_i)`` instead of ``T(x_m)`` (authors'
      code); ``relabel_loss=dict(type='RelabelLoss', smoothing=False)`` uses the plain mixed label (authors' code).

    Args:
        student (dict): Classifier config, e.g. an ``OpenSetClassifier`` (backbone, neck, head returning logits;
            the head's ``loss``, if it has one, must be plain cross-entropy, mmpretrain's default: it is never called).
        teacher (dict): Classifier config of the teacher; its weights come from ``teacher_checkpoint``.
        teacher_checkpoint (str, optional): Checkpoint of the teacher trained with plain CE on the known classes
            (``tools/train.py`` of a baseline config), or the work dir of that run (its last checkpoint). None keeps
            a random teacher, with a warning: only for tests.
        mixer (dict): A paired mixer of the ``MIXERS`` registry (``PairedCutMix`` default, ``PairedMixUp``); it is
            a submodule, so a mixer with parameters trains and is saved with the student.
        p_mix (float): Probability of a mixed step. Defaults to 0.5.
        kd_loss (dict): Distillation loss ``KD``. Defaults to ``DISTLoss`` (beta = gamma = tau = 1).
        cmi_loss (dict, optional): Cross mutual-information loss; its ``loss_weight`` is ``mu`` of asymmetric
            distillation Eq. 8. Defaults to DIST-based ``CrossMutualInformationLoss`` (``mu = 1``);
            ``InfoNCECrossMutualInformationLoss`` is the contrastive option on pooled features (its projections are
            trained with the student).
        relabel_loss (dict, optional): Relabel loss on confusing samples; its ``loss_weight`` is ``eta`` of Eq. 8.
            Defaults to ``RelabelLoss`` (``eta = 1``).
        kd_target (str): ``'mixed'`` (``T(x_m)``, the paper) or ``'raw'`` (``T(x_i)``, authors' code).
        mixed_ce_weight (float): Weight of mixup CE on the non-confusing mixed samples (0 = the paper's loss).
        eval_network (str): ``'student'`` (default) or ``'teacher'`` for validation and test.
        learned_student_draw (str): With a trained learned mixer: ``'same'`` (default: the student learns from the
            detached mix of the generation loss) or ``'independent'`` (a second draw, as in AutoMix).
        data_preprocessor (dict, optional): Defaults to ``OpenSetDataPreprocessor``.
        mu: Removed (a ``ValueError`` says what replaces it): the weight of ``L_CMI`` is ``cmi_loss.loss_weight``.
        eta: Removed (a ``ValueError`` says what replaces it): the weight of ``L_relabel`` is
            ``relabel_loss.loss_weight``.

    ``init_weights`` initialises every submodule but a loaded teacher; initialisation configs belong to the student's
    config (``student=dict(..., init_cfg=...)`` or its backbone's).
    """

    def __init__(self,
                 student: dict,
                 teacher: dict,
                 teacher_checkpoint: Optional[str],
                 mixer: dict = dict(type='PairedCutMix', alpha=1.0),
                 p_mix: float = 0.5,
                 kd_loss: dict = dict(type='DISTLoss'),
                 cmi_loss: Optional[dict] = dict(type='CrossMutualInformationLoss'),
                 relabel_loss: Optional[dict] = dict(type='RelabelLoss'),
                 kd_target: str = 'mixed',
                 mixed_ce_weight: float = 0.0,
                 eval_network: str = 'student',
                 learned_student_draw: str = 'same',
                 data_preprocessor: Optional[dict] = None,
                 *,
                 mu: Optional[float] = None,
                 eta: Optional[float] = None):
        refuse_removed_weights(mu=mu, eta=eta)
        if not 0.0 <= p_mix <= 1.0:
            raise ValueError(f'p_mix must be in [0, 1], got {p_mix}')
        if mixed_ce_weight < 0:
            raise ValueError(f'mixed_ce_weight must be >= 0 (0 = the paper\'s loss), got {mixed_ce_weight}')
        if kd_target not in KD_TARGETS:
            raise ValueError(f'kd_target must be one of {KD_TARGETS}, got {kd_target!r}')
        if learned_student_draw not in STUDENT_DRAWS:
            raise ValueError(f'learned_student_draw must be one of {STUDENT_DRAWS}, got {learned_student_draw!r}')
        if eval_network not in ('student', 'teacher'):
            raise ValueError(f"eval_network must be 'student' or 'teacher', got {eval_network!r}")
        data_preprocessor = dict(type='OpenSetDataPreprocessor') if data_preprocessor is None else data_preprocessor
        super().__init__(data_preprocessor=data_preprocessor)
        # The classifiers carry the same (unused) preprocessor so their state dicts match checkpoints of the
        # baseline configs, which include the normalisation buffers.
        self.student = MODELS.build(dict(copy.deepcopy(student), data_preprocessor=copy.deepcopy(data_preprocessor)))
        refuse_unused_head_loss(self.student.head, 'AsymmetricDistiller', 'model.student.head', 'CE(S(x), y)')
        self.teacher = MODELS.build(dict(copy.deepcopy(teacher), data_preprocessor=copy.deepcopy(data_preprocessor)))
        self._load_teacher(teacher_checkpoint)
        self.mixer = build_paired_mixer(mixer)
        self.p_mix = p_mix
        self.kd_loss = MODELS.build(kd_loss)
        self.cmi_loss = MODELS.build(cmi_loss) if cmi_loss is not None else None
        self.relabel_loss = MODELS.build(relabel_loss) if relabel_loss is not None else None
        self.kd_target = kd_target
        self.mixed_ce_weight = mixed_ce_weight
        self.eval_network = eval_network
        self.learned_student_draw = learned_student_draw
        if learned_student_draw != 'same' and not self.trains_mixer:
            raise ValueError(f"learned_student_draw={learned_student_draw!r} needs a trained learned mixer (a "
                             f"LearnedMaskMixer without checkpoint); the mixer is {type(self.mixer).__name__}"
                             f"{' (frozen)' if isinstance(self.mixer, LearnedMaskMixer) else ''}.")

    def _load_teacher(self, checkpoint: Optional[str]) -> None:
        """Load the teacher's weights (the one checked loader, strict), mark it initialised, freeze it.

        The known classes the teacher was trained on (its checkpoint's ``meta.dataset_meta``) are kept in
        ``self.source_dataset_metas``; :class:`~openmixosr.engine.OpenMixOSRRunner` compares them with the student's
        training set before the first epoch and refuses a teacher of another split (``--allow-other-classes``
        allows it). The model itself does not know its data, so the comparison cannot happen here.
        """
        self.source_dataset_metas = {}
        if checkpoint is None:
            warnings.warn('AsymmetricDistiller: no teacher_checkpoint: the teacher keeps its initial weights unless a '
                          'checkpoint loaded later holds them (load_from, tools/test.py).')
        else:
            from openmixosr.engine.checkpoint_loading import load_checked_checkpoint  # the engine imports models
            try:
                checkpoint = resolve_checkpoint(checkpoint)
                loaded = load_checked_checkpoint(
                    self.teacher, checkpoint, check_classes=lambda dataset_meta: None,
                    mismatch_advice='The teacher checkpoint does not match the teacher config: same backbone, head '
                                    'and number of known classes? Pass the checkpoint of the teacher_config run.')
            except FileNotFoundError as error:
                raise FileNotFoundError(
                    f'Teacher checkpoint {checkpoint} not found ({error}). Train the teacher first, e.g. '
                    f'`python tools/train.py configs/baselines/ce_r50_<benchmark>.py` (the config\'s teacher_config), '
                    f'and pass its work dir or checkpoint with `--cfg-options model.teacher_checkpoint=work_dirs/...`.'
                ) from error
            meta = loaded.get('meta') or {}
            self.source_dataset_metas = {f'Teacher checkpoint {checkpoint}': meta.get('dataset_meta')}
            # MMEngine's public flag: `init_weights` of the distiller (BaseModule) skips children that are
            # initialised, so the loaded weights survive it.
            self.teacher.is_init = True
        self.teacher.requires_grad_(False)
        self.teacher.eval()

    def train(self, mode: bool = True) -> 'AsymmetricDistiller':
        """Switch the student's mode; the teacher always stays in eval mode (frozen BatchNorm statistics)."""
        super().train(mode)
        self.teacher.eval()
        return self

    @property
    def modules_of_some_steps(self) -> tuple:
        """The submodules that only some training steps run: the mixer, in mixed steps (when ``0 < p_mix < 1``).

        Each process draws its raw / mixed steps on its own, so these must not synchronise across processes
        (SyncBatchNorm in a learned mixer's Mix Block: :func:`~openmixosr.engine.start_checks.sync_bn_problem`).
        """
        return (self.mixer, ) if 0.0 < self.p_mix < 1.0 else ()

    @property
    def mixed_step_needs_raw_teacher(self) -> bool:
        """Whether a mixed step also runs the teacher on the raw batch: for the CMI term or for ``kd_target='raw'``."""
        return self.cmi_loss is not None or self.kd_target == 'raw'

    @property
    def trains_mixer(self) -> bool:
        """Whether the mixer's parameters are trained here (a ``LearnedMaskMixer`` without checkpoint)."""
        return self.mixer.trainable

    @property
    def mixer_needs_teacher_features(self) -> bool:
        """Whether the mixer takes the teacher's features at its ``mix_layer`` (a learned mixer without encoder)."""
        return 'features' in self.mixer.mixer_inputs

    @property
    def required_hooks(self) -> tuple:
        """``MaskLossScheduleHook`` when the mixer's Mix Block is trained (its mask-loss weight decays)."""
        return ('MaskLossScheduleHook', ) if self.trains_mixer else ()

    def step_passes(self) -> Dict[str, StepPasses]:
        """Passes of a raw and of a mixed step (:mod:`~openmixosr.models.utils.step_passes`, read by the benchmarks).

        Raw: teacher 1 forward without graph, student 1 forward + backward. Mixed: teacher 2 forwards without graph
        (``T(x_m)``, ``T(x)``; 1 when :attr:`mixed_step_needs_raw_teacher` is False), student 1 forward + backward.
        """
        student = NetworkPasses(forwards=1, backwards=1)
        raw = StepPasses(networks=dict(teacher=NetworkPasses(forwards_no_graph=1), student=student))
        on_raw = int(self.mixed_step_needs_raw_teacher)
        partial = int(self.mixer_needs_teacher_features and not on_raw)
        if not self.trains_mixer:
            teacher = NetworkPasses(forwards_no_graph=1 + on_raw, partial_forwards_no_graph=partial)
            networks = dict(teacher=teacher, student=student, **self.mixer.step_passes(0, 1))
            return dict(raw=raw, mixed=StepPasses(networks=networks))
        independent = int(self.learned_student_draw == 'independent')
        teacher = NetworkPasses(forwards=1, input_backwards=1, forwards_no_graph=on_raw + independent,
                                partial_forwards_no_graph=partial)
        networks = dict(teacher=teacher, **self.mixer.step_passes(1, independent), student=student)
        return dict(raw=raw, mixed=StepPasses(networks=networks))

    def extract_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """``S(x)``: logits of the student (``mode='tensor'``)."""
        return self._logits(self.student, inputs)

    @staticmethod
    def _logits(classifier, inputs: torch.Tensor) -> torch.Tensor:
        return classifier.head(classifier.extract_feat(inputs))

    @staticmethod
    def _features_and_logits(classifier, inputs: torch.Tensor):
        """Pooled features (the input of the head's final linear layer) and logits, from one forward pass."""
        return head_features_and_logits(classifier.head, classifier.extract_feat(inputs))

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        labels = torch.cat([sample.gt_label for sample in data_samples])
        if float(torch.rand(())) < self.p_mix:
            return self.mixed_loss(inputs, labels)
        return self.raw_loss(inputs, labels)

    def raw_loss(self, inputs: torch.Tensor, labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """``CE(S(x), y) + KD(S(x), T(x))``."""
        with torch.no_grad():
            teacher_logits = self._logits(self.teacher, inputs)
        student_logits = self._logits(self.student, inputs)
        # A trained Mix Block takes no part in a raw step; the zero keeps it in the graph, so that DDP (which expects
        # every trained parameter in every step) and a step of another rank that mixed agree. Its gradient is then 0,
        # not None: an optimizer with weight decay or momentum still moves it on raw steps (as measured).
        unused_mixer = sum(param.sum() for param in self.mixer.parameters() if param.requires_grad) * 0.0
        return dict(loss_ce=F.cross_entropy(student_logits, labels) + unused_mixer,
                    loss_kd=self.kd_loss(student_logits, teacher_logits))

    def mixed_loss(self, inputs: torch.Tensor, labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """``KD`` on the non-confusing mixed samples ``+ mu * L_CMI + eta * L_relabel`` on the confusing ones (``mu``,
        ``eta``: the losses' ``loss_weight``)."""
        # T(x) is needed by the CMI term and by KD toward the raw sample only. Two passes of N (the teacher is in eval
        # mode, so they equal one pass of 2N) rather than one over the concatenation: tools/benchmark/distill_step.py
        # prints both timings.
        teacher_raw_features, teacher_raw, mixer_inputs = self._teacher_on_raw(inputs)
        mixed = self.mixer(inputs, **mixer_inputs)
        losses = {}
        if mixed.generation is not None:  # a trained Mix Block: its objective through the frozen teacher
            teacher_generated = self._logits(self.teacher, mixed.inputs)
            losses.update(self.mixer.generation_losses(teacher_generated, labels, mixed))
            if self.learned_student_draw == 'same':
                mixed, teacher_mixed = mixed.detached(), teacher_generated.detach()
            else:
                with torch.no_grad():
                    mixed = self.mixer(inputs, **mixer_inputs).detached()
                    teacher_mixed = self._logits(self.teacher, mixed.inputs)
        else:
            with torch.no_grad():
                teacher_mixed = self._logits(self.teacher, mixed.inputs)
        student_features, student_mixed = self._features_and_logits(self.student, mixed.inputs)

        if self.relabel_loss is not None:
            confusing = confusing_samples(teacher_mixed, labels, mixed.index)
        else:
            confusing = torch.zeros_like(labels, dtype=torch.bool)
        kept = ~confusing
        kd_teacher = teacher_mixed if self.kd_target == 'mixed' else teacher_raw
        losses['loss_kd'] = self._kd_on(student_mixed, kd_teacher, kept)
        if self.cmi_loss is not None:
            offered = dict(student_mixed_logits=student_mixed, student_mixed_features=student_features,
                           teacher_raw_logits=teacher_raw, teacher_raw_features=teacher_raw_features,
                           index=mixed.index, lam=mixed.lam)
            losses['loss_cmi'] = call_with_declared_inputs(self.cmi_loss, offered)
        if self.relabel_loss is not None:
            losses['loss_relabel'] = self.relabel_loss(student_mixed, labels, mixed.index, mixed.lam, confusing)
            losses['relabel_fraction'] = confusing.float().mean()
        if self.mixed_ce_weight > 0:
            losses['loss_mixed_ce'] = self.mixed_ce_weight * self._mixed_ce_on(student_mixed, labels, mixed, kept)
        return losses

    @torch.no_grad()
    def _teacher_on_raw(self, inputs: torch.Tensor):
        """The teacher on the clean batch, what the step needs of it in one pass.

        Returns:
            tuple: pooled features and logits of ``T(x)`` (None, None when no loss needs them) and the mixer's
            inputs (``features``: the teacher's stage ``mixer.mix_layer``, for a learned mixer that takes them).
        """
        needs_raw, needs_features = self.mixed_step_needs_raw_teacher, self.mixer_needs_teacher_features
        if not needs_features:
            return (*self._features_and_logits(self.teacher, inputs), {}) if needs_raw else (None, None, {})
        if not needs_raw:
            return None, None, dict(features=self.mask_features(inputs))
        backbone_out, features = forward_capturing(self.teacher.backbone, inputs, self.mixer.mix_layer)
        pooled = self.teacher.neck(backbone_out) if self.teacher.with_neck else backbone_out
        return (*head_features_and_logits(self.teacher.head, pooled), dict(features=features))

    @torch.no_grad()
    def mask_features(self, images: torch.Tensor) -> Optional[torch.Tensor]:
        """The learned mixer's features on ``images`` as a mixed step computes them: the teacher's stage
        ``mixer.mix_layer`` (eval mode, no graph); None when the mixer takes none (its own encoder, or CutMix)."""
        if not self.mixer_needs_teacher_features:
            return None
        return forward_until(self.teacher.backbone, images, self.mixer.mix_layer)

    def masks_for(self, images: torch.Tensor, lam: float, index: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The learned mixer's masks for a chosen lam and pairing, drawn as a mixed training step draws them and
        leaving the model unchanged (for viewers; the signature of ``MomentumMixMixin.masks_for``).

        Args:
            images (Tensor): Normalised images [N, C, H, W].
            lam (float): Mixing ratio.
            index (LongTensor): Pairing [N].

        Returns:
            dict: The Mix Block's output (``mask`` [N, 2, H, W], ``raw_mask``, ...).

        Raises:
            TypeError: The mixer is not a ``LearnedMaskMixer`` (CutMix and MixUp have no masks to draw).
        """
        if not isinstance(self.mixer, LearnedMaskMixer):
            raise TypeError(f'{type(self.mixer).__name__} is not a LearnedMaskMixer: only a learned mixer draws '
                            f'masks for a chosen lam.')
        return self.mixer.masks_for(images, lam, index, features=self.mask_features(images))

    def _kd_on(self, student_logits: torch.Tensor, teacher_logits: torch.Tensor, kept: torch.Tensor) -> torch.Tensor:
        """KD over the kept rows; DIST relates samples to each other, so fewer than two rows give a graph-keeping 0."""
        if int(kept.sum()) < 2:
            return student_logits.sum() * 0.0
        return self.kd_loss(student_logits[kept], teacher_logits[kept])

    @staticmethod
    def _mixed_ce_on(student_logits: torch.Tensor, labels: torch.Tensor, mixed: MixedBatch,
                     kept: torch.Tensor) -> torch.Tensor:
        """Mixup CE (cross-entropy to the mixed soft label) averaged over the kept rows."""
        if not bool(kept.any()):
            return student_logits.sum() * 0.0
        target = mixed_soft_label(labels, mixed.index, mixed.lam, student_logits.size(1))
        return soft_target_cross_entropy(student_logits[kept], target[kept])

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None) -> List[DataSample]:
        """Logits and pooled features of the student (or teacher, see ``eval_network``) for open-set scores."""
        features, logits = self._features_and_logits(self._evaluated_network(), inputs)
        return attach_predictions(logits, data_samples, features=features)

    def final_linear(self):
        """The final linear layer (``FinalLinear``) of the network :meth:`predict` evaluates, for open-set scores."""
        return final_linear_of(self._evaluated_network().head)

    def evaluated_weights(self) -> Dict[str, str]:
        """A test evaluates the student (or the teacher, ``eval_network``): ``{'': 'student.'}``
        (:class:`~openmixosr.models.contracts.EvaluatedWeights`)."""
        return {'': f'{self.eval_network}.'}

    def _evaluated_network(self):
        return self.student if self.eval_network == 'student' else self.teacher
