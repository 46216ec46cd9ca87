"""LearnedMaskMixer: the Mix Block as a paired mixer, trained through a frozen network or frozen from a checkpoint."""
import numpy as np
import pytest
import torch

from openmixosr.models.paired_mixers import LearnedMaskMixer, PairedMixer, build_paired_mixer, learned_mask_mixer
from openmixosr.models.utils import mask_mix

MIX_BLOCK = dict(type='MixBlock', in_channels=32, reduction=2, upsample='nearest', lam_margin=0.1)


def _features(n=8, channels=32, size=4, seed=2):
    torch.manual_seed(seed)
    return torch.randn(n, channels, size, size)


def test_trained_mixer_returns_the_mask_mix_with_per_sample_lam_and_its_generation_inputs():
    torch.manual_seed(0)
    mixer = build_paired_mixer(dict(type='LearnedMaskMixer', mix_block=MIX_BLOCK))
    assert isinstance(mixer, PairedMixer) and mixer.trainable and mixer.mixer_inputs == ('features', )
    images = torch.randn(8, 3, 16, 16)
    mixed = mixer(images, features=_features())
    assert sorted(mixed.index.tolist()) == list(range(8))
    assert mixed.mask.shape == (8, 2, 16, 16)
    assert torch.allclose(mixed.mask.sum(dim=1), torch.ones(8, 16, 16))
    assert torch.allclose(mixed.inputs, mask_mix(images, mixed.mask, mixed.index))
    # lam of every sample = the mean of its own mask s_i (the share of x_i in x_m), not the drawn lam
    assert mixed.lam.shape == (8, ) and torch.allclose(mixed.lam, mixed.mask[:, 0].mean(dim=(1, 2)))
    assert 0.0 <= mixed.generation['drawn_lam'] <= 1.0 and mixed.generation['raw_mask'].shape == (8, 2, 16, 16)
    assert mixed.inputs.requires_grad and mixed.mask.requires_grad  # the generation loss trains through them
    detached = mixed.detached()
    assert not detached.inputs.requires_grad and detached.generation is None
    assert torch.equal(detached.inputs, mixed.inputs.detach()) and torch.equal(detached.lam, mixed.lam.detach())


def test_generation_losses_reach_only_the_mix_block_and_use_the_drawn_lam():
    torch.manual_seed(0)
    mixer = LearnedMaskMixer(mix_block=MIX_BLOCK)
    judge = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 16 * 16, 4)).requires_grad_(False)
    images, labels = torch.randn(8, 3, 16, 16), torch.arange(8) % 4
    mixed = mixer(images, features=_features())
    losses = mixer.generation_losses(judge(mixed.inputs), labels, mixed)
    assert set(losses) == {'loss_generation', 'loss_mask', 'mask_std', 'mask_lam_gap', 'mask_mixed_fraction'}
    lam = mixed.generation['drawn_lam']
    logits = judge(mixed.inputs.detach())
    expected = (lam * torch.nn.functional.cross_entropy(logits, labels) +
                (1 - lam) * torch.nn.functional.cross_entropy(logits, labels[mixed.index]))
    assert losses['loss_generation'].item() == pytest.approx(expected.item(), rel=1e-5)
    assert losses['loss_mask'].item() == pytest.approx(
        mixer.mix_block.mask_loss(mixed.generation['raw_mask'], lam).item(), rel=1e-6)
    (losses['loss_generation'] + losses['loss_mask']).backward()
    assert all(param.grad is not None for param in mixer.mix_block.parameters() if param.requires_grad)
    assert all(param.grad is None for param in judge.parameters())
    with pytest.raises(ValueError, match='trained mode'):
        mixer.generation_losses(logits, labels, mixed.detached())


def test_trained_mixer_needs_features_and_encoder_needs_a_checkpoint():
    mixer = LearnedMaskMixer(mix_block=MIX_BLOCK)
    with pytest.raises(ValueError, match='needs `features`'):
        mixer(torch.randn(4, 3, 16, 16))
    with pytest.raises(ValueError, match='needs `checkpoint`'):
        LearnedMaskMixer(mix_block=MIX_BLOCK, encoder=dict(type='ResNet_CIFAR', depth=18))


def _automix_checkpoint(build_tiny_automix, path, old_keys=False):
    """An AutoMix checkpoint; ``old_keys``: as written before the Mix Block moved into the mixer (``mix_block.*``)."""
    automix = build_tiny_automix()
    for param in automix.mixer.mix_block.parameters():  # weights that differ from a fresh Mix Block's
        param.data.add_(0.25)
    state_dict = automix.state_dict()
    if old_keys:
        state_dict = {key.replace('mixer.mix_block.', 'mix_block.', 1): value for key, value in state_dict.items()}
    torch.save({'state_dict': state_dict, 'meta': {}}, path)
    return automix


@pytest.mark.parametrize('old_keys', [False, True])
def test_frozen_mixer_loads_the_mix_block_and_encoder_of_an_automix_checkpoint(old_keys, build_tiny_automix,
                                                                              tiny_resnet_cfg, tmp_path, monkeypatch):
    automix = _automix_checkpoint(build_tiny_automix, tmp_path / 'automix.pth', old_keys)
    mixer = LearnedMaskMixer(mix_block=dict(type='MixBlock', in_channels=32), checkpoint=str(tmp_path / 'automix.pth'),
                             encoder=tiny_resnet_cfg(), mix_layer='layer3')
    assert not mixer.trainable and mixer.mixer_inputs == ()
    assert not any(param.requires_grad for param in mixer.parameters())
    for name, value in automix.mixer.mix_block.state_dict().items():
        assert torch.equal(mixer.mix_block.state_dict()[name], value), name
    for name, value in automix.momentum_encoder.module[0].state_dict().items():
        assert torch.equal(mixer.encoder.state_dict()[name], value), name

    # The masks are AutoMix's own for the same (lam, j): its Mix Block on its momentum encoder's features, drawn as in
    # training (train mode, batch statistics), and the draw leaves weights, buffers and modes as they were.
    lam, index = 0.3, torch.tensor([3, 2, 1, 0, 7, 6, 5, 4])
    monkeypatch.setattr(learned_mask_mixer, 'sample_lam', lambda alpha: lam)
    monkeypatch.setattr(learned_mask_mixer, 'random_pairing', lambda n, device=None: index)
    mixer.eval()
    modes = [module.training for module in mixer.modules()]
    before = {name: value.clone() for name, value in mixer.state_dict().items()}
    images = torch.randn(8, 3, 16, 16)
    mixed = mixer(images)
    assert mixed.generation is None and not mixed.inputs.requires_grad and torch.equal(mixed.index, index)
    assert torch.allclose(mixed.mask, automix.masks_for(images, lam, index)['mask'], atol=1e-6)
    assert [module.training for module in mixer.modules()] == modes
    assert all(torch.equal(before[name], value) for name, value in mixer.state_dict().items())


def test_frozen_mixer_refuses_a_checkpoint_that_does_not_match(build_tiny_automix, tiny_resnet_cfg, tmp_path):
    _automix_checkpoint(build_tiny_automix, tmp_path / 'automix.pth')
    from openmixosr.engine import CheckpointMismatchError  # the one strict check of every loader
    advice = r'Use the mix_block \(and encoder\) config'
    with pytest.raises(CheckpointMismatchError, match=r'(?s)automix.pth does not fit .*\(mix_block: .*' + advice):
        LearnedMaskMixer(mix_block=dict(type='MixBlockPlus', in_channels=32), checkpoint=str(tmp_path / 'automix.pth'),
                         encoder=tiny_resnet_cfg())
    # an AutoMix run's Mix Block was trained on its own encoder's features: without them its masks would not be its own
    with pytest.raises(ValueError, match='Pass that run.s backbone config as `encoder`'):
        LearnedMaskMixer(mix_block=dict(type='MixBlock', in_channels=32), checkpoint=str(tmp_path / 'automix.pth'))
    with pytest.raises(CheckpointMismatchError, match=r"(?s)automix.pth does not fit .*encoder.conv1.weight .*"
                                                      + advice):
        LearnedMaskMixer(mix_block=dict(type='MixBlock', in_channels=32), checkpoint=str(tmp_path / 'automix.pth'),
                         encoder=tiny_resnet_cfg(depth=18, width=16))
    torch.save({'state_dict': {'backbone.conv1.weight': torch.zeros(1)}}, tmp_path / 'other.pth')
    with pytest.raises(KeyError, match='holds no Mix Block'):
        LearnedMaskMixer(mix_block=dict(type='MixBlock', in_channels=32), checkpoint=str(tmp_path / 'other.pth'))


def test_given_features_are_standardised_per_channel_so_their_scale_does_not_saturate_the_mask():
    # A frozen teacher in eval mode can give features of any scale (~50 at stage 3 of the trained digits teacher):
    # unnormalised, a fresh Mix Block's sigmoid saturates at s = 1 and gets no gradient.
    torch.manual_seed(0)
    mixer = LearnedMaskMixer(mix_block=MIX_BLOCK)
    images, features = torch.randn(8, 3, 16, 16), _features()
    torch.manual_seed(1), np.random.seed(1)
    small = mixer(images, features=features).mask
    torch.manual_seed(1), np.random.seed(1)
    large = mixer(images, features=100 * features + 7).mask
    assert torch.allclose(small, large, atol=1e-5)
    assert 0.1 < float(small[:, 0].mean()) < 0.9 and float(small[:, 0].flatten(1).std(1).mean()) > 1e-3
    raw = LearnedMaskMixer(mix_block=MIX_BLOCK, feature_norm='none')
    raw.load_state_dict(mixer.state_dict())
    torch.manual_seed(1), np.random.seed(1)
    assert not torch.allclose(raw(images, features=100 * features + 7).mask, large, atol=1e-3)
    with pytest.raises(ValueError, match='feature_norm'):
        LearnedMaskMixer(mix_block=MIX_BLOCK, feature_norm='layer')


def test_an_owner_with_its_own_objective_adds_the_mask_losses():
    # MoCo v2 AMix brings its Mix Block objective (objective=None): the mixer gives L_mask and the statistics.
    torch.manual_seed(0)
    mixer = LearnedMaskMixer(mix_block=MIX_BLOCK, objective=None)
    assert mixer.trainable and mixer.objective is None
    mixed = mixer(torch.randn(8, 3, 16, 16), features=_features())
    losses = mixer.mask_losses(mixed)
    assert set(losses) == {'loss_mask', 'mask_std', 'mask_lam_gap', 'mask_mixed_fraction'}
    assert losses['loss_mask'].item() == pytest.approx(
        mixer.mix_block.mask_loss(mixed.generation['raw_mask'], mixed.generation['drawn_lam']).item())
    with pytest.raises(ValueError, match='no objective'):
        mixer.generation_losses(torch.randn(8, 4), torch.arange(8) % 4, mixed)
    with pytest.raises(ValueError, match='trained mode'):
        mixer.mask_losses(mixed.detached())


def test_step_passes_of_the_mixers_own_networks(build_tiny_automix, tiny_resnet_cfg, tmp_path):
    from openmixosr.models.paired_mixers import PairedCutMix
    from openmixosr.models.utils.step_passes import NetworkPasses
    assert PairedCutMix().step_passes(0, 1) == {}  # pixels only
    trained = LearnedMaskMixer(mix_block=MIX_BLOCK)
    assert trained.step_passes(1, 1) == dict(mix_block=NetworkPasses(forwards=1, backwards=1, forwards_no_graph=1))
    _automix_checkpoint(build_tiny_automix, tmp_path / 'automix.pth')
    frozen = LearnedMaskMixer(mix_block=dict(type='MixBlock', in_channels=32), checkpoint=str(tmp_path / 'automix.pth'),
                              encoder=tiny_resnet_cfg(), mix_layer='layer3')
    assert frozen.step_passes(0, 1) == dict(mix_block=NetworkPasses(forwards_no_graph=1),
                                            mixer_encoder=NetworkPasses(partial_forwards_no_graph=1))
