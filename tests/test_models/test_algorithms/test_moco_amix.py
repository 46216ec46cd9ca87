"""Self-supervised AMix (MoCoAMix = AMix-I, MoCoAMixCluster = AMix-C): queue, cross-view pairing, gradient routing.

The tiny models and their two-view batches are fixtures of tests/test_models/conftest.py.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import adjusted_rand_score

from openmixosr.models.algorithms.moco_amix import embedding_spread
from openmixosr.models.losses import mixup_info_nce, queue_info_nce
from openmixosr.registry import MODELS

FEAT_DIM, QUEUE_LEN = 16, 32  # the defaults of tiny_moco_amix_cfg: embedding width and queue length
MASK_STATISTICS = ('mask_std', 'mask_lam_gap', 'mask_mixed_fraction')


def test_momentum_encoder_starts_as_copy_and_follows_q(build_tiny_moco_amix):
    model = build_tiny_moco_amix()
    online = dict(model.online_network().named_parameters())
    for name, param in model.momentum_encoder.module.named_parameters():
        assert torch.equal(param, online[name])
        assert not param.requires_grad
    with torch.no_grad():
        for param in model.backbone.parameters():
            param.add_(1.0)
    before = [p.clone() for p in model.momentum_encoder.module.parameters()]
    model.momentum_update(0.75)
    momentum, online = model.momentum_encoder.module.parameters(), model.online_network().parameters()
    for old, new, target in zip(before, momentum, online):
        torch.testing.assert_close(new, 0.75 * old + 0.25 * target)


def test_momentum_mix_contract_and_state_dict_names(build_tiny_moco_amix, two_view_images, indexed_samples):
    """k is ``momentum_encoder`` (MoCo's ``encoder_k`` is gone: one name in the state dict), the required hooks
    are listed, and a training step without a momentum update since the previous one raises."""
    from openmixosr.models.algorithms import MomentumMixMixin
    model = build_tiny_moco_amix()
    assert isinstance(model, MomentumMixMixin) and not hasattr(model, 'encoder_k')
    keys = list(model.state_dict())
    assert 'momentum_encoder.steps' in keys and any(key.startswith('momentum_encoder.module.0.') for key in keys)
    assert not any(key.startswith('encoder_k.') for key in keys)
    assert model.required_hooks == ('MomentumPipelineHook', 'MaskLossScheduleHook')
    assert build_tiny_moco_amix(cluster=True).required_hooks == ('MomentumPipelineHook', 'MaskLossScheduleHook',
                                                                  'ClusterAssignmentHook')
    view_q, view_k = model.views(two_view_images())
    assert torch.equal(view_k, two_view_images()[1])
    model.train()
    model.loss(two_view_images(), indexed_samples())
    with pytest.raises(RuntimeError, match='MomentumPipelineHook is missing'):
        model.loss(two_view_images(), indexed_samples())
    model.momentum_update(0.99)
    model.loss(two_view_images(), indexed_samples())


def test_sample_indices_are_the_memory_rows(build_tiny_moco_amix, indexed_samples):
    model = build_tiny_moco_amix(cluster=True)
    model.init_memory(8)
    indices = model.sample_indices(indexed_samples((5, 2, 7)))
    assert indices.tolist() == [5, 2, 7] and indices.dtype == torch.long


def test_queue_receives_this_steps_keys_after_the_losses(build_tiny_moco_amix, two_view_images, indexed_samples):
    model = build_tiny_moco_amix()
    inputs = two_view_images()
    queue_before = model.queue.clone()
    generator_state = torch.get_rng_state()
    model.train()
    model.loss(inputs, indexed_samples())
    # the keys are momentum_keys(view 2); replay the same shuffle by restoring the generator state
    torch.set_rng_state(generator_state)
    keys = model.momentum_keys(inputs[1])
    torch.testing.assert_close(model.queue[:, :8], keys.t())
    assert torch.equal(model.queue[:, 8:], queue_before[:, 8:])
    assert int(model.queue_ptr) == 8
    assert torch.allclose(model.queue.norm(dim=0), torch.ones(QUEUE_LEN))


def test_keys_do_not_depend_on_batch_shuffle(build_tiny_moco_amix, two_view_images):
    """Shuffled BN must not change a key beyond BN's batch statistics: with eval BN the shuffle is invisible."""
    model = build_tiny_moco_amix().eval()
    images = two_view_images()[1]
    plain = F.normalize(model.momentum_encoder(images)[0], dim=1)
    torch.testing.assert_close(model.momentum_keys(images), plain)


def _fixed_draws(model, mask_value, lam, index):
    """Replace the mixer's draws by a constant mask (``s = mask_value``) for both mixed batches."""
    from openmixosr.models.algorithms.momentum_mix import MomentumDraws
    from openmixosr.models.utils import MixedBatch, mask_mix
    n, size = 8, 16
    mask = torch.cat([torch.full((n, 1, size, size), mask_value), torch.full((n, 1, size, size), 1 - mask_value)], 1)
    mask.requires_grad_()
    shares = torch.full((n, ), mask_value)

    def draws(view_q):
        generated = MixedBatch(mask_mix(view_q, mask, index), index, shares, mask,
                               dict(drawn_lam=lam, raw_mask=mask[:, :1]))
        return MomentumDraws(generated, generated.detached(), lam)

    return draws


@pytest.mark.parametrize('mask_value, lam', [(1.0, 1.0), (0.0, 0.0)])
def test_cross_view_pairing(monkeypatch, mask_value, lam, build_tiny_moco_amix, two_view_images, indexed_samples):
    """s = 1: x_mix_i = x1_i, positive k2_i; s = 0: x_mix_i = x1_j(i), positive k2_j(i) (the other view)."""
    model = build_tiny_moco_amix().eval()  # eval BN: embeddings do not depend on the batch they are computed in
    inputs = two_view_images()
    index = torch.tensor([3, 5, 0, 7, 1, 6, 2, 4])
    monkeypatch.setattr(model, 'training_draws', _fixed_draws(model, mask_value, lam, index))
    queue = model.queue.clone()
    with torch.no_grad():
        keys = model.momentum_keys(inputs[1])
        losses = model.loss(inputs, indexed_samples())
        source = inputs[0] if mask_value == 1.0 else inputs[0][index]
        positives = keys if mask_value == 1.0 else keys[index]
        query = F.normalize(model.neck(model.backbone(source))[0], dim=1)
        expected = queue_info_nce(query, positives, queue, 0.2).mean()
        moco = queue_info_nce(F.normalize(model.neck(model.backbone(inputs[0]))[0], dim=1), keys, queue, 0.2).mean()
    torch.testing.assert_close(losses['loss_mix'], expected)
    torch.testing.assert_close(losses['loss_moco'], moco)
    # the Mix Block's copy of the objective runs through k (= q at initialisation)
    torch.testing.assert_close(losses['loss_generation_infonce'], expected)


def _grads(module):
    return [p.grad for p in module.parameters() if p.requires_grad]


def _backward(model, losses, names):
    model.zero_grad(set_to_none=True)
    sum(losses[name] for name in names).backward(retain_graph=True)


@pytest.mark.parametrize('cluster', [False, True])
def test_each_objective_reaches_only_its_parameters(cluster, build_tiny_moco_amix, two_view_images, indexed_samples):
    model = build_tiny_moco_amix(cluster)
    model.train()
    if cluster:
        model.init_memory(8)
        model.pseudo_labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
        model.centroids = F.normalize(torch.randn(3, FEAT_DIM), dim=1)
    losses = model.loss(two_view_images(), indexed_samples())
    generation = ['loss_generation_ce' if cluster else 'loss_generation_infonce', 'loss_generation_bce', 'loss_mask']
    online = ['loss_moco', 'loss_mix']

    _backward(model, losses, generation)
    assert all(g is not None and g.abs().sum() > 0 for g in _grads(model.mixer.mix_block.query_key))
    assert all(g is None for g in _grads(model.backbone) + _grads(model.neck))

    _backward(model, losses, online)
    assert all(g is None for g in _grads(model.mixer.mix_block))
    assert any(g is not None and g.abs().sum() > 0 for g in _grads(model.backbone))
    assert set(losses) == set(generation + online + ['embedding_spread', *MASK_STATISTICS])


def test_all_losses_finite_and_views_checked(build_tiny_moco_amix, two_view_images, indexed_samples):
    model = build_tiny_moco_amix()
    losses = model.loss(two_view_images(), indexed_samples())
    assert set(losses) == {'loss_generation_infonce', 'loss_generation_bce', 'loss_mask', 'loss_moco', 'loss_mix',
                           'embedding_spread', *MASK_STATISTICS}
    assert all(torch.isfinite(value) for value in losses.values())
    assert 0.0 < losses['embedding_spread'] < 1.5 and not losses['embedding_spread'].requires_grad
    with pytest.raises(ValueError, match='two views'):
        model.loss([two_view_images()[0]], indexed_samples())


def _hand_bce(query, keys, index, lam, t=0.2):
    """AMix Eq. 6 written out per sample with numpy: -lam log p_i/(p_i+p_j) - (1-lam) log p_j/(p_i+p_j)."""
    q, k = query.double().numpy(), keys.double().numpy()
    total = 0.0
    for i, j in enumerate(index.tolist()):
        if i == j:
            continue  # a sample paired with itself contributes 0
        e_i, e_j = np.exp(q[i] @ k[i] / t), np.exp(q[i] @ k[j] / t)
        total += -lam * np.log(e_i / (e_i + e_j)) - (1 - lam) * np.log(e_j / (e_i + e_j))
    return total / len(index)


def test_amix_i_objective_is_infonce_plus_non_parametric_bce_by_hand(monkeypatch, build_tiny_moco_amix,
                                                                     two_view_images, indexed_samples):
    """AMix-I: both Mix Block terms against a numpy computation on a tiny batch (lam = 0.3, s = 0.3 everywhere)."""
    model = build_tiny_moco_amix().eval()
    index = torch.tensor([1, 0, 3, 2, 5, 4, 7, 6])
    monkeypatch.setattr(model, 'training_draws', _fixed_draws(model, 0.3, 0.3, index))
    inputs = two_view_images()
    queue = model.queue.clone()
    with torch.no_grad():
        keys = model.momentum_keys(inputs[1])
        losses = model.loss(inputs, indexed_samples())
        query = F.normalize(model.momentum_encoder(0.3 * inputs[0] + 0.7 * inputs[0][index])[0], dim=1)
    q, k, negatives = query.double().numpy(), keys.double().numpy(), queue.double().numpy()
    nce = 0.0
    for i, j in enumerate(index.tolist()):
        denominator_i = np.exp(q[i] @ k[i] / 0.2) + np.exp(q[i] @ negatives / 0.2).sum()
        denominator_j = np.exp(q[i] @ k[j] / 0.2) + np.exp(q[i] @ negatives / 0.2).sum()
        nce += -0.3 * np.log(np.exp(q[i] @ k[i] / 0.2) / denominator_i)
        nce += -0.7 * np.log(np.exp(q[i] @ k[j] / 0.2) / denominator_j)
    assert float(losses['loss_generation_infonce']) == pytest.approx(nce / 8, rel=1e-5)
    assert float(losses['loss_generation_bce']) == pytest.approx(_hand_bce(query, keys, index, 0.3), rel=1e-5)


def test_amix_c_objective_is_pseudo_label_ce_plus_non_parametric_bce(monkeypatch, build_tiny_moco_amix,
                                                                     two_view_images, indexed_samples):
    """AMix-C (AMix Sec. 3.3, Table 7 'CE (C)+BCE'): its BCE is the non-parametric one on the instance keys, not
    the parametric pairwise BCE on cluster logits (Table 7's separate 'pBCE (C)' row)."""
    model = build_tiny_moco_amix(cluster=True).eval()
    model.init_memory(8)
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    model.pseudo_labels = labels.clone()
    model.centroids = F.normalize(torch.randn(3, FEAT_DIM), dim=1)
    index = torch.tensor([1, 2, 3, 4, 5, 6, 7, 0])
    monkeypatch.setattr(model, 'training_draws', _fixed_draws(model, 0.4, 0.4, index))
    inputs = two_view_images()
    with torch.no_grad():
        keys = model.momentum_keys(inputs[1])
        losses = model.loss(inputs, indexed_samples())
        query = F.normalize(model.momentum_encoder(0.4 * inputs[0] + 0.6 * inputs[0][index])[0], dim=1)
    assert set(name for name in losses if name.startswith('loss_generation')) == {'loss_generation_ce',
                                                                               'loss_generation_bce'}
    assert float(losses['loss_generation_bce']) == pytest.approx(_hand_bce(query, keys, index, 0.4), rel=1e-5)
    logits = (query @ model.centroids.t() / 0.2).double().numpy()
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    ce = -(0.4 * log_p[np.arange(8), labels.numpy()] + 0.6 * log_p[np.arange(8), labels[index].numpy()]).mean()
    assert float(losses['loss_generation_ce']) == pytest.approx(ce, rel=1e-5)
    # the step wrote its keys into the memory rows of its samples
    torch.testing.assert_close(model.memory, keys)


def test_table7_pbce_row_uses_cluster_logits_and_amix_i_cannot_ask_for_them(tiny_moco_amix_cfg):
    model = MODELS.build(dict(tiny_moco_amix_cfg(cluster=True),
                              mix_block_losses=dict(pbce=dict(type='PairwiseMixupBCELoss'))))
    assert list(model.mix_block_losses) == ['pbce']
    with pytest.raises(ValueError, match='MoCoAMixCluster'):
        MODELS.build(dict(tiny_moco_amix_cfg(), mix_block_losses=dict(ce=dict(type='MixupCrossEntropyLoss'))))
    with pytest.raises(ValueError, match='at least one term'):
        MODELS.build(dict(tiny_moco_amix_cfg(), mix_block_losses=dict()))
    with pytest.raises(TypeError, match='mixup_inputs'):
        MODELS.build(dict(tiny_moco_amix_cfg(), mix_block_losses=dict(x=dict(type='CrossEntropyLoss'))))


def test_cluster_model_needs_the_hook(tiny_moco_amix_cfg, build_tiny_moco_amix, two_view_images, indexed_samples):
    model = build_tiny_moco_amix(cluster=True)
    with pytest.raises(RuntimeError, match='ClusterAssignmentHook'):
        model.loss(two_view_images(), indexed_samples())
    model.init_memory(8)
    with pytest.raises(RuntimeError, match='no pseudo labels'):
        model.loss(two_view_images(), indexed_samples())
    with pytest.raises(ValueError, match='num_clusters'):
        MODELS.build(dict(tiny_moco_amix_cfg(cluster=True), num_clusters=1))
    with pytest.raises(ValueError, match='temperature'):
        MODELS.build(dict(tiny_moco_amix_cfg(cluster=True), temperature=0.0))


def test_assign_clusters_recovers_separated_groups(build_tiny_moco_amix):
    model = build_tiny_moco_amix(cluster=True)
    model.init_memory(30)
    centres = F.normalize(torch.eye(FEAT_DIM)[:3], dim=1)
    truth = torch.arange(30) % 3
    model.memory = F.normalize(centres[truth] + 0.01 * torch.randn(30, FEAT_DIM), dim=1)
    sizes = model.assign_clusters(seed=0)
    assert sizes.tolist() == [10, 10, 10]
    assert adjusted_rand_score(truth.numpy(), model.pseudo_labels.numpy()) == 1.0
    assert model.has_assignment
    # the centroid classifier recovers every sample's cluster, and the centroids are unit vectors
    torch.testing.assert_close(model.centroids.norm(dim=1), torch.ones(3))
    assert torch.equal(model.cluster_logits(model.memory).argmax(1), model.pseudo_labels)


def test_mixup_info_nce_matches_reference_on_model_embeddings(build_tiny_moco_amix):
    """The registered loss the model uses is the functional mixup infoNCE."""
    model = build_tiny_moco_amix()
    query, keys = F.normalize(torch.randn(4, FEAT_DIM), dim=1), F.normalize(torch.randn(4, FEAT_DIM), dim=1)
    index, queue = torch.tensor([1, 0, 3, 2]), model.queue
    torch.testing.assert_close(model.mix_loss(query, keys, index, 0.3, queue),
                               mixup_info_nce(query, keys, index, 0.3, queue, 0.2))


def test_embedding_spread_detects_collapse():
    generator = torch.Generator().manual_seed(0)
    spread = F.normalize(torch.randn(4096, 64, generator=generator), dim=1)
    assert embedding_spread(spread).item() == pytest.approx(1.0, abs=0.02)
    collapsed = F.normalize(torch.ones(32, 64) + 1e-4 * torch.randn(32, 64, generator=generator), dim=1)
    assert embedding_spread(collapsed).item() < 1e-3


def test_cluster_model_is_built_by_keyword_with_centroids_of_its_size(tiny_moco_amix_cfg):
    cfg = tiny_moco_amix_cfg(cluster=True)
    model = MODELS.build(dict(cfg, num_clusters=3))
    assert model.centroids.shape == (3, cfg['feat_dim'])
    arguments = {key: value for key, value in cfg.items() if key != 'type'}
    with pytest.raises(TypeError):
        type(model)(arguments['backbone'], **{key: value for key, value in arguments.items() if key != 'backbone'})


def test_the_mix_block_objective_is_the_models_and_a_hand_made_mixer_trains_none(tiny_moco_amix_cfg, two_view_images,
                                                                                indexed_samples):
    cfg = tiny_moco_amix_cfg()
    with pytest.raises(ValueError, match='objective=None'):  # the mixer's own objective would go unused
        MODELS.build(dict(cfg, mixer=dict(cfg['mixer'], objective=dict(type='MixupCrossEntropyLoss'))))
    cutmix = dict(type='PairedCutMix', alpha=1.0)
    with pytest.raises(ValueError, match='drop mix_block_losses'):
        MODELS.build(dict(cfg, mixer=cutmix, mix_block_losses=dict(bce=dict(type='NonParametricMixupBCELoss'))))
    model = MODELS.build(dict(cfg, mixer=cutmix))
    assert model.mix_block_losses is None and model.required_hooks == ('MomentumPipelineHook', )
    model.train()
    losses = model.loss(two_view_images(), indexed_samples())
    assert set(losses) == {'loss_moco', 'loss_mix', 'embedding_spread'}
    assert all(torch.isfinite(value) for value in losses.values())
