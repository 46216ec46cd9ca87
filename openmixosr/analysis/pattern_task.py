"""A task where the right mixing mask is known: a small pattern on clutter decides the class.

Each 32x32 image holds one of ``K`` 8x8 patterns at a random position on a cluttered background (noise and short
bars that belong to no class). A uniform blend (MixUp) halves both patterns' contrast; a random box (CutMix) often
cuts a pattern out; a content-aware mask that keeps ``x_i``'s pattern and ``x_j``'s pattern keeps all the evidence.
With a classifier ``k`` trained on clean images and then frozen, the Mix Block is trained alone on AutoMix's
generation loss (mixup CE of ``k(x_mix)`` + the mask loss) and compared with MixUp and CutMix at the same lam:

- the generation loss (lower = the mixed image carries the label mixture better);
- ``kept_i``: the mean of ``s`` over ``x_i``'s pattern box, ``kept_j``: the mean of ``1 - s`` over ``x_j``'s box (1 =
  the pattern is kept whole, 0.5 = blended at half contrast, 0 = cut out).

``tools/analysis/mix_block_probe.py`` runs it and draws the masks; ``tests/test_analysis/test_pattern_task.py`` keeps
it as a test. Docs: docs/automix.md, "Does the Mix Block learn where to mix?".
"""
from typing import Dict, NamedTuple, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from openmixosr.models.losses import mixup_cross_entropy
from openmixosr.models.utils import mask_mix

PATTERN_SIZE = 8


def pattern_templates(num_classes: int = 4) -> torch.Tensor:
    """``K`` distinct binary 8x8 patterns: plus, X, hollow square, two bars (up to 4 classes) -> [K, 8, 8]."""
    size = PATTERN_SIZE
    grid = torch.zeros(4, size, size)
    centre = size // 2
    grid[0, centre - 1:centre + 1, :] = 1  # plus
    grid[0, :, centre - 1:centre + 1] = 1
    idx = torch.arange(size)
    grid[1, idx, idx] = 1  # X
    grid[1, idx, size - 1 - idx] = 1
    grid[2, 0, :] = grid[2, -1, :] = grid[2, :, 0] = grid[2, :, -1] = 1  # hollow square
    grid[3, 1:3, 1:-1] = grid[3, -3:-1, 1:-1] = 1  # two horizontal bars
    if not 2 <= num_classes <= 4:
        raise ValueError(f'num_classes must be 2, 3 or 4, got {num_classes}')
    return grid[:num_classes]


class PatternBatch(NamedTuple):
    """Images [N, 3, H, W] in [0, 1], labels [N], pattern boxes [N, 4] as (y1, y2, x1, x2)."""
    images: torch.Tensor
    labels: torch.Tensor
    boxes: torch.Tensor


def make_pattern_batch(n: int, generator: torch.Generator, size: int = 32, num_classes: int = 4,
                       num_bars: int = 6) -> PatternBatch:
    """Draw ``n`` images: background noise in [0, 0.3], ``num_bars`` short bars (0.6), one pattern (1.0).

    Args:
        n (int): Number of images.
        generator (torch.Generator): Source of every random draw (reproducible batches).
        size (int): Image side. Defaults to 32.
        num_classes (int): Number of patterns (classes). Defaults to 4.
        num_bars (int): Clutter bars per image (3 to 5 pixels, horizontal or vertical). Defaults to 6.
    """
    templates = pattern_templates(num_classes)
    images = torch.rand(n, size, size, generator=generator) * 0.3
    for i in range(n):
        for _ in range(num_bars):
            length = int(torch.randint(3, 6, (), generator=generator))
            y, x = (int(v) for v in torch.randint(0, size - length, (2, ), generator=generator))
            if bool(torch.rand((), generator=generator) < 0.5):
                images[i, y, x:x + length] = 0.6
            else:
                images[i, y:y + length, x] = 0.6
    labels = torch.randint(0, num_classes, (n, ), generator=generator)
    corners = torch.randint(0, size - PATTERN_SIZE + 1, (n, 2), generator=generator)
    for i in range(n):
        y, x = corners[i].tolist()
        patch = images[i, y:y + PATTERN_SIZE, x:x + PATTERN_SIZE]
        images[i, y:y + PATTERN_SIZE, x:x + PATTERN_SIZE] = torch.where(templates[labels[i]] > 0, 1.0, patch)
    boxes = torch.cat([corners[:, :1], corners[:, :1] + PATTERN_SIZE, corners[:, 1:], corners[:, 1:] + PATTERN_SIZE], 1)
    return PatternBatch(images[:, None].expand(n, 3, size, size).contiguous(), labels, boxes)


class PatternClassifier(nn.Module):
    """Per-class detectors: a small CNN, one 1x1 map per class, global max pooling (a class score wherever it is).

    ``features`` (64 channels, 8x8 at 32x32) feed the Mix Block. Each class logit is the peak of its own map, so two
    patterns in one image give two high logits (no competition inside the network); trained with per-class BCE on
    smoothed targets (:func:`fit_classifier`), the logits stay bounded, so the mixup CE of ``k(x_mix)`` is lowest when
    both patterns are there at full strength: the mask that keeps both is the known best mask.

    Args:
        num_classes (int): K.
        channels (int): Channels of the feature map given to the Mix Block. Defaults to 64.
    """

    def __init__(self, num_classes: int, channels: int = 64):
        super().__init__()

        def block(cin, cout, stride):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())

        self.features = nn.Sequential(block(3, 16, 1), block(16, 32, 2), block(32, channels, 2))
        self.top = nn.Sequential(block(channels, channels, 1), nn.Conv2d(channels, num_classes, 1),
                                 nn.AdaptiveMaxPool2d(1), nn.Flatten())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.top(self.features(x))


class PatternTask(NamedTuple):
    """A frozen classifier and the data it was trained on."""
    classifier: PatternClassifier
    num_classes: int
    clean_accuracy: float


def fit_classifier(seed: int = 0, num_classes: int = 4, steps: int = 300, batch_size: int = 64,
                   smoothing: float = 0.05) -> PatternTask:
    """Train ``k`` on clean pattern images, then freeze it (eval mode, no gradients).

    Per-class BCE toward ``1 - smoothing`` for the image's class and ``smoothing`` for the others (Adam, lr 3e-3):
    bounded, independent class scores (see :class:`PatternClassifier`).
    """
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = PatternClassifier(num_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(steps):
        batch = make_pattern_batch(batch_size, generator, num_classes=num_classes)
        target = F.one_hot(batch.labels, num_classes).float() * (1 - 2 * smoothing) + smoothing
        loss = F.binary_cross_entropy_with_logits(model(batch.images), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval().requires_grad_(False)
    test = make_pattern_batch(512, torch.Generator().manual_seed(seed + 10_000), num_classes=num_classes)
    with torch.no_grad():
        accuracy = float((model(test.images).argmax(1) == test.labels).float().mean())
    return PatternTask(model, num_classes, accuracy)


def _pairing(n: int) -> torch.Tensor:
    """Pair every image with the next one (no image with itself)."""
    return torch.roll(torch.arange(n), -1)


def fit_mix_block(task: PatternTask, mix_block: nn.Module, seed: int = 0, steps: int = 300, batch_size: int = 64,
                  alpha: float = 2.0, lr: float = 1e-3, mask_loss_weight: float = 0.1) -> Dict[str, list]:
    """Train only ``mix_block`` on AutoMix's generation loss through the frozen classifier.

    ``loss = MCE(k(x_mix), y_i, y_j, lam) + L_mask`` with ``lam ~ Beta(alpha, alpha)``, the mask-loss weight decayed
    linearly to 0 over the steps (AutoMix Eq. 7), Adam (``lr``). Returns the per-step losses.
    """
    generator = torch.Generator().manual_seed(seed + 1)
    rng = np.random.default_rng(seed)
    optimizer = torch.optim.Adam(mix_block.parameters(), lr=lr)
    history = dict(generation=[], mask=[])
    mix_block.train()
    for step in range(steps):
        batch = make_pattern_batch(batch_size, generator, num_classes=task.num_classes)
        lam = float(rng.beta(alpha, alpha))
        index = _pairing(batch_size)
        with torch.no_grad():
            features = task.classifier.features(batch.images)
        out = mix_block(features, lam, index, batch.images.shape[-2:])
        logits = task.classifier(mask_mix(batch.images, out['mask'], index))
        generation = mixup_cross_entropy(logits, batch.labels, index, lam)
        mix_block.mask_loss_weight = mask_loss_weight * (1 - step / steps)
        mask_loss = mix_block.mask_loss(out['raw_mask'], lam)
        optimizer.zero_grad()
        (generation + mask_loss).backward()
        optimizer.step()
        history['generation'].append(float(generation.detach()))
        history['mask'].append(float(mask_loss.detach()))
    return history


def _box_mean(values: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` [N, H, W] over each sample's box [N, 4] -> [N]."""
    return torch.stack([values[i, y1:y2, x1:x2].mean() for i, (y1, y2, x1, x2) in enumerate(boxes.tolist())])


def oracle_mask(boxes: torch.Tensor, partner_boxes: torch.Tensor, size: int, lam: float) -> torch.Tensor:
    """The known right mask: ``s = 1`` on ``x_i``'s pattern box, ``s = 0`` on ``x_j``'s, ``lam`` elsewhere -> [N, H, W]
    (where the two boxes overlap, ``x_j`` wins)."""
    s = torch.full((boxes.size(0), size, size), float(lam))
    for i, ((y1, y2, x1, x2), (v1, v2, u1, u2)) in enumerate(zip(boxes.tolist(), partner_boxes.tolist())):
        s[i, y1:y2, x1:x2] = 1.0
        s[i, v1:v2, u1:u2] = 0.0
    return s


def _cutmix_mask(n: int, size: int, lam: float, rng: np.random.Generator) -> torch.Tensor:
    cut = int(round(size * np.sqrt(1 - lam)))
    s = torch.ones(n, size, size)
    for i in range(n):
        y, x = rng.integers(0, size - cut + 1, 2)
        s[i, y:y + cut, x:x + cut] = 0
    return s


@torch.no_grad()
def evaluate_mixers(task: PatternTask, mix_block: Optional[nn.Module], lam: float = 0.5, n: int = 256,
                    seed: int = 123) -> Dict[str, Dict[str, float]]:
    """Generation loss and pattern evidence kept at one ``lam``: the Mix Block, MixUp, CutMix and the known right
    mask (:func:`oracle_mask`).

    The Mix Block runs in eval mode (its Dropout off, BN on running statistics; ``k`` is in eval mode throughout the
    task). CutMix's box has area ``(1 - lam) H W`` (rounded to whole pixels, inside the image); CutMix's and the
    oracle's losses use the share of ``x_i`` they really have. Returns
    ``{mixer: {loss, kept_i, kept_j, mean_s, mask_std}}``.
    """
    batch = make_pattern_batch(n, torch.Generator().manual_seed(seed), num_classes=task.num_classes)
    index = _pairing(n)
    size = batch.images.size(-1)
    masks = dict(mixup=torch.full((n, size, size), lam),
                 cutmix=_cutmix_mask(n, size, lam, np.random.default_rng(seed)),
                 oracle=oracle_mask(batch.boxes, batch.boxes[index], size, lam))
    if mix_block is not None:
        mix_block.eval()
        features = task.classifier.features(batch.images)
        masks['mix_block'] = mix_block(features, lam, index, (size, size))['mask'][:, 0]
    results = {}
    for name, s in masks.items():
        pair = torch.stack([s, 1 - s], dim=1)
        logits = task.classifier(mask_mix(batch.images, pair, index))
        share = s.flatten(1).mean(1)  # the lam each mixed image really has
        target_lam = share if name in ('cutmix', 'oracle') else lam
        results[name] = dict(loss=float(mixup_cross_entropy(logits, batch.labels, index, target_lam)),
                             kept_i=float(_box_mean(s, batch.boxes).mean()),
                             kept_j=float(_box_mean(1 - s, batch.boxes[index]).mean()),
                             mean_s=float(share.mean()),
                             mask_std=float(s.flatten(1).std(dim=1, unbiased=False).mean()))
    return results
