"""Deterministic stratified train/test partition for data that ships as a single labelled set.

scikit-learn's digits and the official MNIST test files (the only MNIST files in the offline data) come as one labelled
set. Both are cut the same way: per class, a seeded shuffle, the first ``round(0.7 * n)`` samples train, the rest test.
The cut depends only on the labels, so every run, machine and worker sees the same two disjoint parts.
"""
from typing import Tuple

import numpy as np

TRAIN_FRACTION = 0.7
PARTITION_SEED = 0


def stratified_partition(labels, train_fraction: float = TRAIN_FRACTION,
                         seed: int = PARTITION_SEED) -> Tuple[np.ndarray, np.ndarray]:
    """Split sample indices into a train and a test part with the same class proportions.

    Args:
        labels (array-like): Integer label of every sample.
        train_fraction (float): Fraction of each class that goes to the train part, rounded per class.
            Defaults to 0.7.
        seed (int): Seed of the shuffle inside each class. Defaults to 0.

    Returns:
        tuple[np.ndarray, np.ndarray]: Sorted train indices and sorted test indices; disjoint, together all samples.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f'labels must be one-dimensional, got shape {labels.shape}')
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f'train_fraction must be in (0, 1), got {train_fraction}')
    rng = np.random.default_rng(seed)
    train_parts = []
    for label in np.unique(labels):  # sorted, so the draws happen in a fixed order
        members = np.flatnonzero(labels == label)
        shuffled = rng.permutation(members)
        train_parts.append(shuffled[:int(round(train_fraction * len(members)))])
    train = np.sort(np.concatenate(train_parts)) if train_parts else np.zeros(0, dtype=np.int64)
    test = np.setdiff1d(np.arange(len(labels)), train)
    return train, test


def select_partition(labels, split: str) -> np.ndarray:
    """Indices of the ``'train'`` or ``'test'`` part of :func:`stratified_partition` with the default fraction/seed.

    Args:
        labels (array-like): Integer label of every sample.
        split (str): ``'train'`` or ``'test'``.

    Returns:
        np.ndarray: Sorted sample indices of that part.
    """
    train, test = stratified_partition(labels)
    if split == 'train':
        return train
    if split == 'test':
        return test
    raise ValueError(f"split must be 'train' or 'test', got {split!r}")
