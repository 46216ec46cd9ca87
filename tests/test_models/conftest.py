"""Tiny models and fake batches of the model tests (the ones shared with the hook tests are in tests/conftest.py).

Every factory builds from a fresh config, seeded as the tests did before they moved here, so values stay identical.
"""

import pytest
import torch
from mmpretrain.structures import DataSample

from openmixosr.registry import MODELS


@pytest.fixture
def tiny_moco_amix_cfg(tiny_resnet_cfg):
    """Factory ``(cluster=False, feat_dim=16, queue_len=32) -> dict``: AMix-I (``MoCoAMix``) or, with ``cluster``,
    AMix-C (``MoCoAMixCluster``, 3 clusters) on the tiny ResNet-18 (width 8), a MoCo v2 neck to ``feat_dim`` and a
    Mix Block+ with every option on."""

    def make(cluster: bool = False, feat_dim: int = 16, queue_len: int = 32) -> dict:
        cfg = dict(
            type='MoCoAMixCluster' if cluster else 'MoCoAMix',
            queue_len=queue_len,
            feat_dim=feat_dim,
            backbone=tiny_resnet_cfg(),
            neck=dict(type='MoCoV2Neck', in_channels=64, hid_channels=32, out_channels=feat_dim, with_avg_pool=True),
            head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2),
            mixer=dict(type='LearnedMaskMixer', mix_layer='layer3', alpha=2.0, feature_norm='none', objective=None,
                       mix_block=dict(type='MixBlockPlus', in_channels=32, reduction=2, upsample='bilinear',
                                      lam_margin=0.1, lam_encoding='adaptive', nonlinear_value=True,
                                      global_attention=True, lam_adjust=True, variance_loss=True)),
            data_preprocessor=dict(type='SelfSupDataPreprocessor', mean=[0, 0, 0], std=[1, 1, 1]))
        if cluster:
            cfg['num_clusters'] = 3
        return cfg

    return make


@pytest.fixture
def build_tiny_moco_amix(tiny_moco_amix_cfg):
    """Factory ``(cluster=False, seed=0) -> MoCoAMix``: ``tiny_moco_amix_cfg(cluster)`` built after
    ``torch.manual_seed(seed)`` and initialised."""

    def build(cluster: bool = False, seed: int = 0):
        torch.manual_seed(seed)
        model = MODELS.build(tiny_moco_amix_cfg(cluster))
        model.init_weights()
        return model

    return build


@pytest.fixture
def two_view_images():
    """Factory ``(n=8, size=16, seed=1) -> [view_1, view_2]``: two batches of standard normal RGB images drawn from
    one generator seeded with ``seed`` (the global generator is left alone)."""

    def make(n: int = 8, size: int = 16, seed: int = 1):
        generator = torch.Generator().manual_seed(seed)
        return [torch.randn(n, 3, size, size, generator=generator), torch.randn(n, 3, size, size, generator=generator)]

    return make


@pytest.fixture
def indexed_samples():
    """Factory ``(indices=range(8)) -> [DataSample]``: unlabelled data samples whose ``sample_idx`` are ``indices``
    (the rows a self-supervised model's memory keeps)."""

    def make(indices=range(8)):
        return [DataSample(metainfo=dict(sample_idx=i)) for i in indices]

    return make


@pytest.fixture
def linear_bn_with_unit_weights():
    """Factory ``() -> nn.Sequential``: ``Linear(2, 2) -> BatchNorm1d(2)`` with every parameter 1 (weights and
    biases), small enough to follow a momentum update or a BatchNorm statistic by hand."""

    def make() -> torch.nn.Sequential:
        network = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
        with torch.no_grad():
            for param in network.parameters():
                param.fill_(1.0)
        return network

    return make
