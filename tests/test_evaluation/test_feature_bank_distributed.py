"""The training set's feature bank collected by two processes (gloo, torch.multiprocessing) is the one process's bank:
each rank scores its share (``DefaultSampler``: rank r takes samples r, r + 2, ..., the last round padded), the ranks
gather in dataset order, and the scores fitted on it get the same statistics."""
import socket

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.dataset import DefaultSampler, pseudo_collate
from mmpretrain.structures import DataSample
from torch.utils.data import DataLoader

from openmixosr.evaluation import collect_feature_bank
from openmixosr.evaluation.scores import FeatureBank, build_score

NUM_SAMPLES, NUM_CLASSES = 13, 4  # odd: the sampler pads rank 1's share with a repeated sample, cut after the gather


def _model_and_dataset():
    """A tiny classifier (same weights in every process) and 13 labelled random images."""
    from openmixosr.registry import MODELS
    from openmixosr.utils import register_all_modules
    register_all_modules(init_default_scope=True)  # as tests/conftest.py does in the parent
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='OpenSetClassifier',
        backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8, out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=64),
        data_preprocessor=dict(type='OpenSetDataPreprocessor', num_classes=NUM_CLASSES, mean=[0.0] * 3,
                               std=[1.0] * 3)))
    model.init_weights()
    generator = torch.Generator().manual_seed(1)
    images = torch.randn(NUM_SAMPLES, 3, 16, 16, generator=generator)
    dataset = [dict(inputs=image, data_samples=DataSample().set_gt_label(i % NUM_CLASSES))
               for i, image in enumerate(images)]
    return model, dataset


def _bank(model, dataset) -> FeatureBank:
    loader = DataLoader(dataset, batch_size=4, sampler=DefaultSampler(dataset, shuffle=False),
                        collate_fn=pseudo_collate)
    return collect_feature_bank(model, loader)


def _rank(rank: int, world_size: int, port: int, out_dir: str) -> None:
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=world_size)
    try:
        bank = _bank(*_model_and_dataset())
        np.savez(f'{out_dir}/rank{rank}.npz', features=bank.features, logits=bank.logits, labels=bank.labels)
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


#: Scores whose fitted statistics come from the bank: class means and shared covariance, the bank itself, a percentile
#: of the features. (Not ViM: with 13 samples of 64 features its residual subspace is not unique.)
SCORES = ('mahalanobis', dict(type='KNNScore', k=3), 'react')


def test_two_processes_gather_the_one_process_bank(tmp_path):
    mp.spawn(_rank, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    model, dataset = _model_and_dataset()
    single = _bank(model, dataset)  # this process: no process group, the whole dataset
    final_layer = model.final_linear()
    assert single.features.shape[0] == NUM_SAMPLES
    for rank in (0, 1):  # every rank receives the whole bank
        gathered = np.load(tmp_path / f'rank{rank}.npz')
        np.testing.assert_array_equal(gathered['labels'], np.arange(NUM_SAMPLES) % NUM_CLASSES)  # dataset order
        np.testing.assert_allclose(gathered['features'], single.features, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(gathered['logits'], single.logits, rtol=1e-5, atol=1e-6)
        bank = FeatureBank(gathered['features'], gathered['logits'], gathered['labels'])
        for score in SCORES:
            state = build_score(score).fit(final_layer, bank).state_dict()
            expected = build_score(score).fit(final_layer, single).state_dict()
            assert state.keys() == expected.keys()
            for key in state:
                np.testing.assert_allclose(state[key], expected[key], rtol=1e-4, atol=1e-5, err_msg=f'{score}: {key}')
