"""AutoMix: a learned mixup generator trained bi-level through a Momentum Pipeline (AutoMix Sec. 3.2, Eq. 8 and 10-12;
docs/automix.md, Method reference)."""
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample
from torch import nn

from openmixosr.registry import MODELS
from ..losses import mixup_cross_entropy
from ..utils.head_loss import refuse_unused_head_loss
from ..utils.mask_draws import FEATURE_STATISTICS
from ..utils.momentum_encoder import MomentumEncoder
from ..utils.multi_backward import backward_without_update
from ..utils.predictions import attach_predictions, final_linear_of, head_features_and_logits
from .mode_dispatch import ModeDispatchMixin
from .momentum_mix import MomentumDraws, MomentumMixMixin, build_momentum_mixer


@MODELS.register_module()
class AutoMix(MomentumMixMixin, ModeDispatchMixin, BaseModel):
    """AutoMix (and AMix with a ``MixBlockPlus``) for supervised classification.

    Two copies of the classifier: ``q`` (``backbone -> neck -> head``, trained by the optimizer) and its momentum copy
    ``k`` (no gradients of its own); the masks come from ``mixer``, a ``LearnedMaskMixer`` fed by ``k``. One training
    step (AutoMix Eq. 8 through the Momentum Pipeline):

    1. ``z = k.backbone`` up to ``mixer.mix_layer`` on the clean batch, without a graph and without the later stages;
    2. two independent draws of the mixer, ``(lam_mb, j_mb)`` and ``(lam_bb, j_bb)``: the Mix Block turns ``z``
       (raw: ``feature_norm='none'``) into the masks ``s_mb`` and ``s_bb``; ``s_bb`` is made without a graph;
    3. generation loss ``objective(k(x_mb), y, j_mb, lam_mb) + mask_loss`` (the mixer's ``generation_losses``): its
       gradients flow through the frozen ``k`` into the mask and reach only the Mix Block;
    4. classification loss ``CE(q(x), y) + MCE(q(x_bb), y, j_bb, lam_bb)`` with the drawn ``lam_bb`` (not the mask's
       mean): reaches only ``q``.

    Both losses are summed and minimised by one optimizer, which is the bi-level update because their gradients
    touch disjoint parameters. The momentum update of ``k`` belongs to
    :class:`~openmixosr.engine.hooks.MomentumPipelineHook`, the decay of the mask-loss weight to
    :class:`~openmixosr.engine.hooks.MaskLossScheduleHook` (``required_hooks``; in the configs
    ``default_hooks.momentum_pipeline`` and ``default_hooks.mask_loss_schedule``): a training step raises when ``k``
    was not updated since the previous one. The members that hooks and tools use are those of
    :class:`MomentumMixMixin`.

    Any other paired mixer (``mixer=dict(type='PairedCutMix', alpha=1.0)``, a user's mixer) makes this model "CE +
    that mixer with a momentum encoder": steps 1 and 3 drop (a mixer without ``features`` needs no ``z``, a mixer
    without parameters trains nothing), step 2 is one draw of the mixer, step 4 is ``CE(q(x), y) + MCE(q(x_m), y, j,
    lam)`` with the mixer's own lam, and ``k`` is still updated by the hook and evaluated (``eval_network``).

    Passes per step, with F = a forward of the classifier on the batch: ``k`` runs the stages up to ``mix_layer``
    (no graph) and one full forward whose backward computes input gradients only; ``q`` runs two forwards and two
    full backwards (clean and mixed batch). Validation and test use ``k`` by default (``eval_network='momentum'``).
    The head's own ``loss`` is never called (the losses are the cross-entropies above), so a head configured with
    anything but plain cross-entropy is refused when the model is built.

    Args:
        backbone (dict): Backbone config (any mmpretrain backbone with a submodule named ``mixer.mix_layer``).
        head (dict): Classification head config; its ``forward`` must return logits, and its ``loss``, if it has
            one, must be plain cross-entropy (mmpretrain's default): it is never called.
        mixer (dict): A paired mixer (registry ``MIXERS``). AutoMix: ``LearnedMaskMixer`` with a ``MixBlock`` (AMix:
            ``MixBlockPlus``) whose ``in_channels`` match ``mix_layer``'s output, ``alpha=2.0``, ``mix_layer`` (stage
            3 of 4, l = 3 in the paper), ``feature_norm='none'`` (the papers feed ``k``'s features as they are) and
            the generation ``objective``: ``MixupCrossEntropyLoss`` or ``PairwiseMixupBCELoss`` (AMix's parametric
            BCE); see configs/_base_/models/automix_resnet18_cifar.py.
        neck (dict, optional): Neck config, e.g. ``GlobalAveragePooling``.
        eval_network (str): ``'momentum'`` (``k``, default) or ``'online'`` (``q``) for validation and test.
        momentum_buffers (str): Where ``k``'s BatchNorm running statistics come from (they matter only when ``k`` is
            evaluated: ``k`` runs in train mode during training and normalises with batch statistics, so the choice
            does not change training). ``'own'``: never copied after ``init_weights``; they come from ``k``'s own
            train-mode forwards (the Mix Block features and the generation loss), as in the authors' AutoMix code.
            ``'copy'``: copied from ``q`` at every momentum update. Defaults to ``'own'``: on the digits configs
            (3 seeds) the two are within noise of each other (docs/automix.md), so the authors' choice is kept.
            See :class:`MomentumEncoder`.
        mix_feature_stats (str): BatchNorm statistics of ``k`` when it makes the Mix Block's features: ``'batch'``
            (default, the authors' code: ``k`` runs in train mode) or ``'running'`` (its running statistics). See
            :func:`~openmixosr.models.utils.mask_draws.momentum_features`.
        data_preprocessor (dict, optional): Defaults to ``OpenSetDataPreprocessor`` (normalisation only).
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 mixer: dict,
                 neck: Optional[dict] = None,
                 eval_network: str = 'momentum',
                 momentum_buffers: str = 'own',
                 mix_feature_stats: str = 'batch',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if eval_network not in ('momentum', 'online'):
            raise ValueError(f"eval_network must be 'momentum' or 'online', got {eval_network!r}")
        if mix_feature_stats not in FEATURE_STATISTICS:
            raise ValueError(f'mix_feature_stats must be one of {FEATURE_STATISTICS}, got {mix_feature_stats!r}')
        if momentum_buffers not in MomentumEncoder.BUFFER_MODES:
            raise ValueError(f"momentum_buffers must be 'copy' or 'own', got {momentum_buffers!r}")
        data_preprocessor = dict(type='OpenSetDataPreprocessor') if data_preprocessor is None else data_preprocessor
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)
        refuse_unused_head_loss(self.head, 'AutoMix', 'model.head', 'CE(q(x), y) and the mixup CE')
        self.mixer = build_momentum_mixer(mixer, type(self).__name__)
        self.eval_network = eval_network
        self.mix_feature_stats = mix_feature_stats
        self.momentum_encoder = MomentumEncoder(self.online_network(), buffers=momentum_buffers)

    def online_network(self) -> nn.Sequential:
        """``q`` as one module: backbone -> neck -> head (built on the fly; the parts are this model's attributes)."""
        return nn.Sequential(*[part for part in (self.backbone, self.neck, self.head) if part is not None])

    def extract_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """``q(x)``: logits of the online network (``mode='tensor'``)."""
        return self.online_network()(inputs)

    def _generation_losses(self, inputs, labels, draws: MomentumDraws) -> Dict[str, torch.Tensor]:
        """Step 3: through the frozen k into the mask; only the Mix Block has parameters that receive gradients.

        Also returns the statistics of the generated mask (logged, not losses), so a flat mask shows in the log.
        """
        logits = self.momentum_encoder.module(draws.generated.inputs)
        return self.mixer.generation_losses(logits, labels, draws.generated)

    def _clean_loss(self, inputs, labels, draws: MomentumDraws) -> Dict[str, torch.Tensor]:
        """Step 4, first term: ``CE(q(x), y)``."""
        return dict(loss_clean=F.cross_entropy(self.online_network()(inputs), labels))

    def _mix_loss(self, inputs, labels, draws: MomentumDraws) -> Dict[str, torch.Tensor]:
        """Step 4, second term: ``MCE(q(x_bb), y, j_bb, lam_bb)`` on the mix without a graph."""
        logits = self.online_network()(draws.classified.inputs)
        return dict(loss_mix=mixup_cross_entropy(logits, labels, draws.classified.index, draws.lam))

    def _loss_parts(self) -> Tuple[Callable, ...]:
        """The losses of a step, in order: the generation loss only with a trained mixer."""
        parts = (self._clean_loss, self._mix_loss)
        return ((self._generation_losses, ) + parts) if self.mixer.trainable else parts

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """All losses of one Momentum Pipeline step (used as one sum under DDP; see :meth:`train_step`)."""
        labels = torch.cat([sample.gt_label for sample in data_samples])
        draws = self.training_draws(inputs)
        losses = {}
        for part in self._loss_parts():
            losses.update(part(inputs, labels, draws))
        return losses

    def train_step(self, data, optim_wrapper) -> Dict[str, torch.Tensor]:
        """One step with a backward pass per graph, so that only one graph is alive at a time.

        The generation graph (through k), the clean and the mixed graph of q touch disjoint inputs; back-propagating
        each as soon as its loss exists accumulates exactly the gradients of their sum, at about the peak memory of
        one graph. One optimizer update follows the last backward. Under DDP the wrapper calls :meth:`loss` and
        back-propagates the sum once instead (DDP's reducer expects one backward per step): same gradients, more
        memory.
        """
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            inputs, labels = data['inputs'], torch.cat([sample.gt_label for sample in data['data_samples']])
            draws = self.training_draws(inputs)
        parts = self._loss_parts()
        log_vars = {}
        total = 0.0
        for position, part in enumerate(parts):
            with optim_wrapper.optim_context(self):
                loss, part_log = self.parse_losses(part(inputs, labels, draws))
            if position < len(parts) - 1:
                backward_without_update(optim_wrapper, loss)
            else:
                optim_wrapper.update_params(loss)
            total = total + part_log.pop('loss')
            log_vars.update(part_log)
        return dict(loss=total, **log_vars)

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None) -> List[DataSample]:
        """Logits and pooled features of ``k`` (or ``q``, see ``eval_network``) for open-set scores, one pass."""
        network = self._evaluated_network()
        features, logits = head_features_and_logits(network[-1], network[:-1](inputs))
        return attach_predictions(logits, data_samples, features=features)

    def final_linear(self):
        """The final linear layer (``FinalLinear``) of the network :meth:`predict` evaluates, for open-set scores."""
        return final_linear_of(self._evaluated_network()[-1])

    def evaluated_weights(self) -> Dict[str, str]:
        """Where the network a test evaluates keeps its weights (:class:`~openmixosr.models.contracts.
        EvaluatedWeights`): ``k``'s parts ``momentum_encoder.module.<i>.`` for the backbone, neck and head
        (``eval_network='momentum'``), or ``q``'s own."""
        parts = [name for name in ('backbone', 'neck', 'head') if getattr(self, name) is not None]
        if self.eval_network == 'online':
            return {f'{name}.': f'{name}.' for name in parts}
        return {f'{name}.': f'momentum_encoder.module.{index}.' for index, name in enumerate(parts)}

    def _evaluated_network(self) -> nn.Sequential:
        """``k`` or ``q`` (``eval_network``) as backbone -> neck -> head."""
        return self.momentum_encoder.module if self.eval_network == 'momentum' else self.online_network()
