"""Time every one-pass open-set score (fit and score) beside one ResNet-18 forward over the test images.

Usage::

    python tools/benchmark/scores.py [--quick] [--threads 2] [--rounds 3]

Synthetic banks (default: 50,000 training and 10,000 test features of width 512, 100 classes; ReLU-like features
around class centres, half of the test set from unseen centres) and a nearest-centre final linear layer. Each score's
``fit`` and ``score`` run interleaved with the others (``time_interleaved``), the table shows the medians of
``--rounds`` rounds. The reference is one forward pass of mmpretrain's ``ResNet_CIFAR`` (depth 18, global average
pooling, linear head) over as many 32x32 images as test features, batch 256, no grad, timed once. The goal: all
one-pass scores together cost less than that forward pass.
"""
import argparse
import time
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np
import torch
from torch import nn

from openmixosr.evaluation.scores import FeatureBank, FinalLinear, build_score
from openmixosr.evaluation.scores import score_configs as registered_scores
from openmixosr.utils.benchmarking import Task, quiet_logger, time_interleaved
from openmixosr.utils.tool_errors import run_tool


@dataclass
class Settings:
    """Sizes of one benchmark run.

    Args:
        train (int): Training features.
        test (int): Test features, and test images of the forward pass.
        width (int): Feature width.
        classes (int): Known classes.
        batch_size (int): Batch of the forward pass.
    """
    train: int = 50_000
    test: int = 10_000
    width: int = 512
    classes: int = 100
    batch_size: int = 256


QUICK = Settings(train=1_000, test=200, width=64, classes=10, batch_size=100)


def synthetic_banks(settings: Settings, seed: int = 0):
    """(final layer, training bank, test bank): non-negative features around class centres, a nearest-centre head."""
    rng = np.random.default_rng(seed)
    centres = np.maximum(rng.normal(0.5, 1.0, size=(2 * settings.classes, settings.width)), 0)
    known = centres[:settings.classes]
    weight = (known - 0.5 * known.mean(axis=0)).astype(np.float32)
    bias = (-0.5 * (known**2).sum(axis=1)).astype(np.float32)

    def bank(labels: np.ndarray) -> FeatureBank:
        noise = rng.normal(0, 0.7, size=(labels.size, settings.width))
        features = np.maximum(centres[labels] + noise, 0).astype(np.float32)
        return FeatureBank(features, features @ weight.T + bias, labels)

    train = bank(np.arange(settings.train) % settings.classes)
    test = bank(rng.integers(0, 2 * settings.classes, size=settings.test))
    test.labels = np.where(test.labels < settings.classes, test.labels, -1)
    return FinalLinear(weight, bias), train, test


def score_configs(settings: Settings) -> Dict[str, dict]:
    """Every one-pass score's default config, keyed by its log key (k of KNN capped by the bank)."""
    configs = {key: dict(config) for key, config in registered_scores().items()}
    configs['knn']['k'] = min(50, settings.train)
    return configs


def time_scores(settings: Settings, rounds: int) -> Dict[str, Dict[str, float]]:
    """Median seconds of each score's fit and score: ``{key: dict(fit=..., score=...)}``."""
    head, train, test = synthetic_banks(settings)
    configs = score_configs(settings)
    fitted = {key: build_score(config).fit(head, train) for key, config in configs.items()}  # warm-up, and to score
    tasks = {}
    for key, config in configs.items():
        tasks[f'{key}/fit'] = Task(run=lambda score: score.fit(head, train),
                                   prepare=lambda config=config: build_score(config))
        tasks[f'{key}/score'] = lambda score=fitted[key]: score.score(test)
    medians = time_interleaved(tasks, rounds).medians()
    return {key: dict(fit=medians[f'{key}/fit'], score=medians[f'{key}/score']) for key in configs}


class ResNet18Cifar(nn.Module):
    """mmpretrain's ResNet_CIFAR (depth 18), global average pooling and a linear head."""

    def __init__(self, classes: int) -> None:
        super().__init__()
        from mmpretrain.models import ResNet_CIFAR
        with quiet_logger():
            self.backbone = ResNet_CIFAR(depth=18)
        self.head = nn.Linear(512, classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        features = self.backbone(images)[-1].mean(dim=(2, 3))
        return self.head(features)


def time_forward(settings: Settings, seed: int = 0) -> float:
    """Seconds of one no-grad forward pass of ResNet-18 over ``settings.test`` random 32x32 images (after one
    untimed warm-up batch)."""
    torch.manual_seed(seed)
    network = ResNet18Cifar(settings.classes).eval()
    images = torch.randn(settings.test, 3, 32, 32)
    with torch.no_grad():
        network(images[:settings.batch_size])
        start = time.perf_counter()
        for first in range(0, settings.test, settings.batch_size):
            network(images[first:first + settings.batch_size])
        return time.perf_counter() - start


def format_table(times: Dict[str, Dict[str, float]], forward: float, settings: Settings) -> str:
    """The table: one row per score (fit and score in ms, score / forward), then the totals and the ratios."""
    lines = [f'{settings.train} training and {settings.test} test features, width {settings.width}, '
             f'{settings.classes} classes',
             f'{"score":<12} {"fit [ms]":>10} {"score [ms]":>11} {"score / forward":>16}']
    for key, row in times.items():
        lines.append(f'{key:<12} {1e3 * row["fit"]:10.1f} {1e3 * row["score"]:11.1f} {row["score"] / forward:16.4f}')
    fit_total = sum(row['fit'] for row in times.values())
    score_total = sum(row['score'] for row in times.values())
    lines.append(f'{"all":<12} {1e3 * fit_total:10.1f} {1e3 * score_total:11.1f} {score_total / forward:16.4f}')
    lines.append(f'ResNet-18 forward over {settings.test} 32x32 images (batch {settings.batch_size}, no grad): '
                 f'{1e3 * forward:.1f} ms')
    lines.append(f'sum(one-pass scores) / forward = {score_total / forward:.3f} '
                 f'(goal < 1: {"met" if score_total < forward else "MISSED"}); '
                 f'with the fits, (fit + score) / forward = {(fit_total + score_total) / forward:.3f}')
    return '\n'.join(lines)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                     description='Time every one-pass open-set score beside a ResNet-18 forward.')
    parser.add_argument('--quick', action='store_true', help='tiny sizes, one round (the smoke test)')
    parser.add_argument('--rounds', type=int, default=3, help='interleaved rounds of the scores; medians reported')
    parser.add_argument('--threads', type=int, default=2, help='torch threads (KNN and the forward pass)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    settings = QUICK if args.quick else Settings()
    torch.set_num_threads(1 if args.quick else args.threads)
    times = time_scores(settings, 1 if args.quick else args.rounds)
    forward = time_forward(settings)
    table = format_table(times, forward, settings)
    print(table)
    score_total = sum(row['score'] for row in times.values())
    return dict(times=times, forward=forward, ratio=score_total / forward, table=table)


if __name__ == '__main__':
    run_tool(main)
