"""Self-supervised AMix on MoCo v2: cross-view mixup with a learned Mix Block+ (AMix-I) and pseudo labels (AMix-C).

Docs: docs/selfsup.md (Method reference: AMix Eqs. 4-6, Sec. 3.1 and 3.3).
"""
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine import dist
from mmpretrain.models.selfsup import MoCo
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.structures import DataSample
from torch import nn

from openmixosr.registry import MODELS
from ..paired_mixers import LearnedMaskMixer
from ..utils.clustering import gather_rows, kmeans_assign
from ..utils.declared_inputs import call_with_declared_inputs, missing_inputs
from ..utils.momentum_encoder import MomentumEncoder
from .momentum_mix import MomentumDraws, MomentumMixMixin, build_momentum_mixer


AMIX_I_OBJECTIVE = dict(infonce=dict(type='MixupInfoNCELoss', temperature=0.2),
                        bce=dict(type='NonParametricMixupBCELoss', temperature=0.2))
AMIX_C_OBJECTIVE = dict(ce=dict(type='MixupCrossEntropyLoss'),
                        bce=dict(type='NonParametricMixupBCELoss', temperature=0.2))


def build_objective(terms: Mapping[str, dict], available: tuple, owner: str) -> nn.ModuleDict:
    """Build the named terms of a Mix Block objective and check that ``owner`` can feed each one its inputs.

    Args:
        terms (dict[str, dict]): Term name -> loss config; each loss declares its inputs in ``mixup_inputs``.
        available (tuple[str]): The inputs ``owner`` provides.
        owner (str): Class name for the error message.

    Returns:
        nn.ModuleDict: The built losses, in the order given.
    """
    if not terms:
        raise ValueError(f'{owner}: the Mix Block objective needs at least one term (mix_block_losses is empty).')
    built = nn.ModuleDict()
    for name, cfg in terms.items():
        loss = MODELS.build(cfg)
        subject = f'{owner}: mix_block_losses[{name!r}] ({type(loss).__name__})'
        missing = missing_inputs(loss, available, subject)
        if missing:
            hint = ' (class logits and labels exist only with pseudo labels: use MoCoAMixCluster)' if (
                'logits' in missing or 'labels' in missing) else ''
            raise ValueError(f'{subject} needs {missing}, which this model does not provide{hint}; it provides '
                             f'{list(available)}.')
        built[name] = loss
    return built


def embedding_spread(embeddings: torch.Tensor) -> torch.Tensor:
    """``sqrt(D) * mean_d std_n(z[n, d])`` of L2-normalised embeddings ``z`` [N, D]: a collapse monitor.

    About 1 for embeddings spread uniformly over the sphere, 0 when they all coincide (the collapse in which the
    infoNCE loss sits at ``log(queue_len + 1)``). The model logs it with the losses (its name has no "loss", so
    MMEngine logs it without adding it to the objective).
    """
    return embeddings.std(dim=0).mean() * embeddings.size(1) ** 0.5


@MODELS.register_module()
class MoCoAMix(MomentumMixMixin, MoCo):
    """AMix-I: MoCo v2 with the cross-view pipeline of AMix and a Mix Block+ trained by the Momentum Pipeline.

    Every instance ``i`` comes in two augmented views ``x1_i`` (query view) and ``x2_i`` (key view). ``k`` is MoCo's
    momentum encoder (backbone + neck), ``q`` the online one. One training step:

    1. keys ``k2 = normalize(k(x2))`` (shuffled BN under DDP, no graph);
    2. ``z = k.backbone`` up to ``mixer.mix_layer`` on ``x1``; two draws of the mixer (a ``LearnedMaskMixer`` with
       ``feature_norm='none'`` and ``objective=None``), ``(lam_mb, j_mb)`` and ``(lam_bb, j_bb)``: the Mix Block
       makes ``s_mb`` (graph) and ``s_bb`` (no graph) -- AutoMix's Momentum Pipeline (AutoMix Sec. 3.2;
       docs/automix.md, Method reference);
    3. cross-view mixing: ``x_mix = s * x1_i + (1 - s) * x1_j``, whose positives are the *other* views ``k2_i``
       (weight lam) and ``k2_j`` (weight 1 - lam); the negatives are MoCo's queue;
    4. Mix Block objective through the frozen ``k`` (reaches only the Mix Block): the sum of the named terms of
       ``mix_block_losses`` on ``q_m = k(x_mix_mb)``, plus ``L_mask``. AMix-I (AMix Sec. 3.3): the mixup infoNCE (AMix
       Eq. 4) ``+`` the non-parametric BCE (AMix Eq. 6), logged as ``loss_generation_infonce`` and
       ``loss_generation_bce``. Each term is any loss whose ``mixup_inputs`` this model provides (``query``, ``keys``,
       ``index``, ``lam``, ``queue``), so the single-term rows of AMix Table 7 are configs; the mixer adds
       ``L_mask`` and the mask statistics (``LearnedMaskMixer.mask_losses``);
    5. online objective: MoCo's ``infoNCE(q(x1), k2; queue) + mixup_infoNCE(q(x_mix_bb))`` with the drawn
       ``lam_bb`` (reaches only ``q``);
    6. ``k2`` enters the queue.

    The momentum update of ``k`` belongs to :class:`~openmixosr.engine.hooks.MomentumPipelineHook`, the decay of the
    mask-loss weight to :class:`~openmixosr.engine.hooks.MaskLossScheduleHook` (``required_hooks``; in the configs
    ``default_hooks.momentum_pipeline`` and ``default_hooks.mask_loss_schedule``); ``k`` starts as an exact copy of
    ``q``, and a training step raises when it was not updated since the previous one. ``k`` is ``momentum_encoder``
    (mmpretrain's MoCo calls it ``encoder_k``; state-dict keys ``momentum_encoder.*``); the members that hooks and
    tools use are those of :class:`MomentumMixMixin`. A mixer that trains nothing (e.g. ``PairedCutMix``) makes one
    draw on the query view for step 5; step 4 then drops (and ``mix_block_losses`` must stay None), and so does
    ``z`` unless the mixer takes features.

    Passes per step, with F = a forward of the encoder on the batch: ``k`` runs the stages up to ``mix_layer`` on
    ``x1`` and one forward on ``x2`` (no graph), and one forward on ``x_mix_mb`` whose backward reaches the mask only;
    ``q`` runs two forwards and two backwards (``x1`` and ``x_mix_bb``); the Mix Block runs twice (one with a graph).
    The baseline MoCo v2 step is ``k`` 1F + ``q`` 1F + 1B.

    Args:
        backbone (dict): Backbone config (an mmpretrain ResNet: ``mix_layer`` must be one of its submodules).
        neck (dict): Projection neck, e.g. ``MoCoV2Neck`` (its output is L2-normalised here).
        head (dict): ``ContrastiveHead`` (MoCo's infoNCE with its temperature).
        mixer (dict): A paired mixer (registry ``MIXERS``). AMix: ``LearnedMaskMixer`` with a ``MixBlockPlus``
            whose ``in_channels`` match its ``mix_layer``'s output (``'layer3'``), ``alpha=2.0``,
            ``feature_norm='none'`` and ``objective=None`` (the objective is ``mix_block_losses``); see
            configs/_base_/models/amix_i_mocov2_resnet18_cifar.py.
        mix_loss (dict): Objective of ``q``'s mixed sample against its two positives. Defaults to
            ``MixupInfoNCELoss`` with MoCo v2's temperature 0.2.
        mix_block_losses (dict[str, dict], optional): The Mix Block objective, term name -> loss config. None means
            AMix-I's ``infonce`` (``MixupInfoNCELoss``) + ``bce`` (``NonParametricMixupBCELoss``), temperature 0.2,
            with a trained mixer, and none with a mixer that trains nothing.
        queue_len (int): Number of negatives in the queue. Defaults to 65536.
        feat_dim (int): Dimension of the neck output. Defaults to 128.
        data_preprocessor (dict, optional): Defaults to mmpretrain's ``SelfSupDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 mixer: dict,
                 mix_loss: dict = dict(type='MixupInfoNCELoss', temperature=0.2),
                 mix_block_losses: Optional[Dict[str, dict]] = None,
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(backbone=backbone, neck=neck, head=head, queue_len=queue_len, feat_dim=feat_dim,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        # MoCo's own EMA ``encoder_k`` (updated inside its loss) is replaced: the Momentum Pipeline hook owns the
        # update of ``momentum_encoder``.
        del self.encoder_k
        self.momentum_encoder = MomentumEncoder(self.online_network())
        self.mixer = build_momentum_mixer(mixer, type(self).__name__)
        self.mix_loss = MODELS.build(mix_loss)
        self.mix_block_losses = self._build_mix_block_losses(mix_block_losses)

    def _build_mix_block_losses(self, terms: Optional[Dict[str, dict]]) -> Optional[nn.ModuleDict]:
        """The Mix Block objective of a trained mixer (a ``LearnedMaskMixer`` without objective of its own)."""
        owner = type(self).__name__
        if not self.mixer.trainable:
            if terms is not None:
                raise ValueError(f'{owner}: mix_block_losses train a Mix Block, but the mixer '
                                 f'{type(self.mixer).__name__} trains nothing: drop mix_block_losses.')
            return None
        if not isinstance(self.mixer, LearnedMaskMixer) or self.mixer.objective is not None:
            raise ValueError(f'{owner}: the Mix Block objective is mix_block_losses (instance keys, no class '
                             f'logits): the mixer must be a LearnedMaskMixer with objective=None.')
        if terms is None:
            terms = AMIX_C_OBJECTIVE if self.provides_pseudo_labels else AMIX_I_OBJECTIVE
        return build_objective(terms, self.generation_inputs, owner)

    def online_network(self) -> nn.Sequential:
        """``q``: backbone -> neck (the parts are this model's attributes)."""
        return nn.Sequential(self.backbone, self.neck)

    @staticmethod
    def views(inputs: List[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """The query view ``x1`` and the key view ``x2`` of a batch (``inputs`` of ``SelfSupDataPreprocessor``)."""
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError('MoCoAMix needs two views of every image: use MultiView(num_views=2) in the pipeline '
                             f'and SelfSupDataPreprocessor; got {type(inputs).__name__} of length {len(inputs)}.')
        return inputs[0], inputs[1]

    @staticmethod
    def _embed(network: nn.Module, images: torch.Tensor) -> torch.Tensor:
        """``normalize(neck(backbone(x)))``: one L2-normalised embedding per image."""
        return F.normalize(network(images)[0], dim=1)

    @torch.no_grad()
    def momentum_keys(self, images: torch.Tensor) -> torch.Tensor:
        """Keys ``normalize(k(x2))``, with MoCo's batch shuffle so that BN cannot leak across the pair."""
        shuffled, unshuffle = batch_shuffle_ddp(images)
        return batch_unshuffle_ddp(self._embed(self.momentum_encoder, shuffled), unshuffle)

    provides_pseudo_labels = False
    momentum_forwards_no_graph = 1  # the keys k(x2)
    generation_inputs = ('query', 'keys', 'index', 'lam', 'queue')

    def _generation_inputs(self, query, keys, queue, index, lam, data_samples) -> Dict[str, object]:
        """What the Mix Block objective's terms may ask for (``mixup_inputs`` names)."""
        return dict(query=query, keys=keys, index=index, lam=lam, queue=queue)

    def _mix_block_losses(self, view_q, keys, queue, draws: MomentumDraws, data_samples) -> Dict[str, torch.Tensor]:
        """Step 4: every term of the Mix Block objective on ``q_m = k(x_mix_mb)``, plus the mask loss (and the mask
        statistics, logged: a flat mask shows in the log); nothing when the mixer trains nothing."""
        generated = draws.generated
        if generated is None:
            return {}
        lam = generated.generation['drawn_lam']
        query = self._embed(self.momentum_encoder, generated.inputs)
        available = self._generation_inputs(query, keys, queue, generated.index, lam, data_samples)
        losses = {f'loss_generation_{name}': call_with_declared_inputs(loss, available)
                  for name, loss in self.mix_block_losses.items()}
        losses.update(self.mixer.mask_losses(generated))
        return losses

    def _online_losses(self, view_q, keys, queue, draws: MomentumDraws) -> Dict[str, torch.Tensor]:
        """Step 5: MoCo's infoNCE on the query view and the mixup infoNCE on ``x_mix_bb`` (no graph in the mix).

        Also returns ``embedding_spread`` (logged, not a loss): see :func:`embedding_spread`.
        """
        online = self.online_network()
        query = self._embed(online, view_q)
        positive = (query * keys).sum(dim=1, keepdim=True)
        loss_moco = self.head.loss(positive, query @ queue)
        mixed = draws.classified
        loss_mix = self.mix_loss(self._embed(online, mixed.inputs), keys, mixed.index, draws.lam, queue)
        return dict(loss_moco=loss_moco, loss_mix=loss_mix, embedding_spread=embedding_spread(query.detach()))

    def _after_keys(self, keys: torch.Tensor, data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """Hook for subclasses that use the keys of the step (AMix-C stores them); returns extra losses."""
        return {}

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample], **kwargs) -> Dict[str, torch.Tensor]:
        """All losses of one step; the queue is updated with this batch's keys after they are computed."""
        view_q, view_k = self.views(inputs)
        keys = self.momentum_keys(view_k)
        queue = self.queue.clone().detach()
        losses = self._after_keys(keys, data_samples)
        draws = self.training_draws(view_q)
        losses.update(self._mix_block_losses(view_q, keys, queue, draws, data_samples))
        losses.update(self._online_losses(view_q, keys, queue, draws))
        self._dequeue_and_enqueue(keys)
        return losses


@MODELS.register_module()
class MoCoAMixCluster(MoCoAMix):
    """AMix-C: :class:`MoCoAMix` whose Mix Block learns from pseudo labels of online k-means clustering.

    A memory holds the momentum embedding (the key ``k2``) of every training sample, refreshed by each step; the
    :class:`~openmixosr.engine.hooks.ClusterAssignmentHook` (``required_hooks``; in the configs
    ``default_hooks.cluster_assignment``) sizes it, fills it once before training and re-assigns
    the pseudo labels by k-means on it every ``interval`` epochs. The classifier over the K pseudo classes is the
    k-means one itself: ``logits_c = (k(x) . mu_c) / t`` with ``mu_c`` the L2-normalised centroid of cluster ``c``
    (kept with the labels), so it is exactly as fresh as the pseudo labels and has no parameters to learn. The Mix
    Block objective of AMix-C (AMix Sec. 3.3, "L_CE + L_BCE as the clustering version"; Table 7 "CE (C)+BCE") is the
    mixup CE of the centroid logits on the pseudo labels (``ce``: ``MCE(logits(q_m), y_pseudo, j, lam)``, AMix Eq. 3)
    plus the non-parametric BCE on the instance keys (``bce``, AMix Eq. 6), plus ``L_mask``, through the frozen ``k``:
    it reaches only the Mix Block. Besides AMix-I's inputs, a term may ask for the centroid ``logits`` and the pseudo
    ``labels`` (Table 7's "pBCE (C)" row is ``PairwiseMixupBCELoss`` on them). The pseudo labels shape the mixing
    policy, not the representation: the online objective of ``q`` is AMix-I's.

    Passes per step: those of :class:`MoCoAMix` plus one [N, D] x [D, K] product; the memory refresh reuses the keys.

    Args:
        num_clusters (int): K of k-means. Defaults to 10.
        temperature (float): ``t`` of the centroid logits. Defaults to 0.2 (MoCo v2's).
        **kwargs: The arguments of :class:`MoCoAMix` (``backbone``, ``neck``, ``head``, ``mixer``, ``mix_loss``,
            ``mix_block_losses``, ``queue_len``, ``feat_dim``, ``data_preprocessor``, ``init_cfg``), by keyword, with
            its defaults, except that ``mix_block_losses=None`` means AMix-C's objective (with a trained mixer):
            ``ce`` (``MixupCrossEntropyLoss`` on the pseudo labels) + ``bce`` (``NonParametricMixupBCELoss``,
            temperature 0.2).
    """

    def __init__(self, *, num_clusters: int = 10, temperature: float = 0.2, **kwargs):
        super().__init__(**kwargs)
        if num_clusters < 2:
            raise ValueError(f'num_clusters must be >= 2, got {num_clusters}')
        if not temperature > 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        self.num_clusters = num_clusters
        self.temperature = temperature
        feat_dim = self.queue.size(0)  # MoCo's queue holds one feat_dim column per negative
        self.register_buffer('centroids', torch.zeros(num_clusters, feat_dim))
        # Sized to the training set by ClusterAssignmentHook before a checkpoint is loaded.
        self.register_buffer('memory', torch.zeros(0, feat_dim))
        self.register_buffer('pseudo_labels', torch.zeros(0, dtype=torch.long))

    def init_memory(self, num_samples: int) -> None:
        """Allocate the memory for ``num_samples`` training samples (pseudo labels -1 = not assigned yet)."""
        device = self.queue.device
        self.memory = torch.zeros(num_samples, self.queue.size(0), device=device)
        self.pseudo_labels = torch.full((num_samples, ), -1, dtype=torch.long, device=device)

    @property
    def has_assignment(self) -> bool:
        return self.pseudo_labels.numel() > 0 and bool((self.pseudo_labels >= 0).all())

    def sample_indices(self, data_samples: List[DataSample]) -> torch.Tensor:
        """The dataset indices (``sample_idx``) of a batch's samples: their rows of the memory and pseudo labels."""
        return torch.tensor([sample.sample_idx for sample in data_samples], dtype=torch.long,
                            device=self.pseudo_labels.device)

    @torch.no_grad()
    def store(self, sample_indices: torch.Tensor, keys: torch.Tensor) -> None:
        """Write the keys of every rank's batch into the memory rows of their samples."""
        if self.memory.numel() == 0:
            raise RuntimeError('The AMix-C memory is empty: ClusterAssignmentHook is missing (add '
                               "`default_hooks.cluster_assignment=dict(type='ClusterAssignmentHook')` to the config).")
        sample_indices, keys = gather_rows(sample_indices, keys)
        self.memory[sample_indices] = keys.to(self.memory.dtype)

    @torch.no_grad()
    def assign_clusters(self, seed: int) -> np.ndarray:
        """k-means on the memory (rank 0, broadcast) -> pseudo labels and centroids; returns the cluster sizes."""
        labels, centroids = torch.empty_like(self.pseudo_labels), torch.empty_like(self.centroids)
        if dist.get_rank() == 0:
            assigned, centres = kmeans_assign(self.memory.cpu().numpy(), self.num_clusters, seed)
            labels.copy_(torch.from_numpy(assigned))
            centroids.copy_(F.normalize(torch.from_numpy(centres), dim=1))
        dist.broadcast(labels, src=0)
        dist.broadcast(centroids, src=0)
        self.pseudo_labels, self.centroids = labels, centroids
        return np.bincount(labels.cpu().numpy(), minlength=self.num_clusters)

    def cluster_logits(self, embeddings: torch.Tensor) -> torch.Tensor:
        """``(z . mu_c) / t`` for every cluster ``c``: the k-means classifier of L2-normalised embeddings ``z``."""
        return embeddings @ self.centroids.t() / self.temperature

    def _check_assignment(self) -> None:
        if not self.has_assignment:
            raise RuntimeError('AMix-C has no pseudo labels yet: ClusterAssignmentHook is missing (add '
                               "`default_hooks.cluster_assignment=dict(type='ClusterAssignmentHook')` to the config).")

    def _pseudo_labels(self, data_samples: List[DataSample]) -> torch.Tensor:
        self._check_assignment()
        return self.pseudo_labels[self.sample_indices(data_samples)]

    def _after_keys(self, keys: torch.Tensor, data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """Refresh the memory rows of this batch with its keys (the step needs an assignment: checked first)."""
        self._check_assignment()
        self.store(self.sample_indices(data_samples), keys)
        return {}

    provides_pseudo_labels = True

    @property
    def required_hooks(self) -> Tuple[str, ...]:
        """Those of :class:`MoCoAMix` and ``ClusterAssignmentHook`` (the pseudo labels)."""
        return super().required_hooks + ('ClusterAssignmentHook', )
    generation_inputs = MoCoAMix.generation_inputs + ('logits', 'labels')

    def _generation_inputs(self, query, keys, queue, index, lam, data_samples) -> Dict[str, object]:
        """AMix-I's inputs plus the centroid logits of ``q_m`` and the batch's pseudo labels."""
        available = super()._generation_inputs(query, keys, queue, index, lam, data_samples)
        available.update(logits=self.cluster_logits(query), labels=self._pseudo_labels(data_samples))
        return available
