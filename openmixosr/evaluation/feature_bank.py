"""The training set's features for the open-set scores: one pass of the model's predict with the test pipeline.

Scores such as KNN, Mahalanobis or ViM are fitted on the features of the training set as the evaluated network sees
them at test time: the training images through the *test* pipeline (no random crops or flips), the network in eval
mode, the same ``predict`` (hence the same ``pred_features`` / ``pred_logits``) as the test set.
"""
import copy
from typing import Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_world_size
from mmengine.runner import Runner
from torch import nn

from .scores import FeatureBank


def _dataset_with_pipeline(dataset_cfg: dict, pipeline: list) -> dict:
    """``dataset_cfg`` with ``pipeline`` in place of its own; a wrapper (``dataset=dict(...)``) is searched inside."""
    dataset_cfg = copy.deepcopy(dict(dataset_cfg))
    if 'pipeline' in dataset_cfg or 'dataset' not in dataset_cfg:
        dataset_cfg['pipeline'] = copy.deepcopy(pipeline)
    else:
        dataset_cfg['dataset'] = _dataset_with_pipeline(dataset_cfg['dataset'], pipeline)
    return dataset_cfg


def dataset_pipeline(dataset_cfg: dict) -> list:
    """The ``pipeline`` of a dataset config, or of the dataset it wraps (``dataset=dict(...)``, searched inside).

    Raises:
        KeyError: Neither the config nor a wrapped one has a ``pipeline``.
    """
    while 'pipeline' not in dataset_cfg and 'dataset' in dataset_cfg:
        dataset_cfg = dataset_cfg['dataset']
    if 'pipeline' not in dataset_cfg:
        raise KeyError(f'The test dataset config has no `pipeline` (nor a wrapped `dataset` with one): {dataset_cfg}')
    return dataset_cfg['pipeline']


def train_loader_with_test_pipeline(cfg) -> dict:
    """The dataloader config of the training set as it is scored: test pipeline, test batch size, no shuffling.

    Args:
        cfg (Config | dict): A full config with ``train_dataloader`` and ``test_dataloader`` (``val_dataloader``
            when there is no test dataloader).

    Returns:
        dict: A dataloader config for :meth:`mmengine.runner.Runner.build_dataloader`: the training dataset (its
        source, split and known classes) with the test dataset's ``pipeline``, the test dataloader's ``batch_size``,
        ``num_workers`` and ``pin_memory``, ``DefaultSampler(shuffle=False)``.
    """
    train_cfg = cfg.get('train_dataloader')
    eval_cfg = cfg.get('test_dataloader') or cfg.get('val_dataloader')
    if not train_cfg or not eval_cfg:
        raise ValueError('Scores fitted on the training set need `train_dataloader` (the training set) and '
                         '`test_dataloader` or `val_dataloader` (its test pipeline) in the config.')
    return dict(
        dataset=_dataset_with_pipeline(train_cfg['dataset'], dataset_pipeline(eval_cfg['dataset'])),
        sampler=dict(type='DefaultSampler', shuffle=False),
        batch_size=eval_cfg.get('batch_size', train_cfg.get('batch_size', 1)),
        num_workers=eval_cfg.get('num_workers', 0),
        pin_memory=eval_cfg.get('pin_memory', False),
        persistent_workers=False)


class _RowWriter:
    """Writes batches of rows into arrays allocated once (float32 features / logits, int64 labels)."""

    def __init__(self, num_rows: int) -> None:
        self.num_rows = num_rows
        self.filled = 0
        self.features: Optional[np.ndarray] = None
        self.logits: Optional[np.ndarray] = None
        self.labels = np.empty(num_rows, dtype=np.int64)

    def write(self, features: np.ndarray, logits: np.ndarray, labels: np.ndarray) -> None:
        if self.features is None:
            self.features = np.empty((self.num_rows, features.shape[1]), dtype=np.float32)
            self.logits = np.empty((self.num_rows, logits.shape[1]), dtype=np.float32)
        rows = slice(self.filled, self.filled + len(labels))
        self.features[rows], self.logits[rows], self.labels[rows] = features, logits, labels
        self.filled += len(labels)

    def bank(self) -> FeatureBank:
        if self.filled != self.num_rows or self.features is None:
            raise RuntimeError(f'Expected {self.num_rows} training samples from the dataloader, got {self.filled}.')
        return FeatureBank(features=self.features, logits=self.logits, labels=self.labels)


def _batch_arrays(data_samples) -> tuple:
    """Features [B, D], logits [B, C] (float32) and labels [B] (int64) of the data samples ``predict`` returned."""
    if 'pred_features' not in data_samples[0]:
        raise KeyError('Scores fitted on the training set need the pooled features, but the model\'s predict() '
                       'stores no `pred_features` (openmixosr.models.utils.predictions.attach_predictions(..., '
                       'features=...)).')
    features = torch.stack([sample.pred_features for sample in data_samples]).float().cpu().numpy()
    logits = torch.stack([sample.pred_logits for sample in data_samples]).float().cpu().numpy()
    labels = torch.cat([sample.gt_label.reshape(-1) for sample in data_samples]).cpu().numpy()
    return features, logits, labels


def collect_feature_bank(model: nn.Module, dataloader) -> FeatureBank:
    """Run the model's ``test_step`` (data preprocessor + ``predict``) over a dataloader and keep one bank.

    The model runs in eval mode without gradients; its mode is restored afterwards (validation calls this while
    training). Features and logits are written into float32 arrays allocated once ([N, D] + [N, C]), not kept per
    batch. With several processes every rank scores its share (``DefaultSampler``) and all ranks receive the whole
    bank, in dataset order.

    Args:
        model (nn.Module): The unwrapped model (an mmengine ``BaseModel`` whose ``predict`` stores ``pred_features``
            and ``pred_logits``).
        dataloader (DataLoader | dict): A dataloader or its config (e.g. :func:`train_loader_with_test_pipeline`),
            whose samples have ``gt_label``.

    Returns:
        FeatureBank: ``features`` [N, D] float32, ``logits`` [N, C] float32, ``labels`` [N] int64, in dataset order.

    Raises:
        ValueError: The dataset is empty or the features / logits contain NaN or inf.
    """
    dataloader = Runner.build_dataloader(dataloader)
    num_samples = len(dataloader.dataset)
    if num_samples == 0:
        raise ValueError('The training set is empty: scores fitted on the training set have nothing to fit on.')
    writer = _RowWriter(len(dataloader.sampler) if dataloader.sampler is not None else num_samples)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for batch in dataloader:
                writer.write(*_batch_arrays(model.test_step(batch)))
    finally:
        model.train(was_training)
    bank = writer.bank()
    if get_world_size() > 1:
        bank = _gather_in_dataset_order(bank, num_samples)
    for name in ('features', 'logits'):
        values = getattr(bank, name)
        if not np.isfinite(values).all():
            rows = int((~np.isfinite(values)).any(axis=1).sum())
            raise ValueError(f'The training set\'s {name} contain NaN or inf in {rows} of {num_samples} samples; '
                             'the network diverged or the checkpoint is broken.')
    return bank


def _gather_in_dataset_order(local: FeatureBank, num_samples: int) -> FeatureBank:
    """Merge the banks of all ranks; ``DefaultSampler(shuffle=False)`` gives rank r the indices r, r + W, ..."""
    parts = all_gather_object(local)
    world_size = len(parts)
    merged = {}
    for name in ('features', 'logits', 'labels'):
        first = getattr(parts[0], name)
        values = np.empty((len(first) * world_size, *first.shape[1:]), dtype=first.dtype)
        for rank, part in enumerate(parts):
            values[rank::world_size] = getattr(part, name)
        merged[name] = values[:num_samples]  # the sampler pads the last round with repeated samples
    return FeatureBank(**merged)
