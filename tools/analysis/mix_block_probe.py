"""Does a Mix Block learn *where* to mix? Train it on a task where the right mask is known and compare.

    python tools/analysis/mix_block_probe.py [--steps 300] [--seeds 0 1] [--out-dir work_dirs/mix_block_probe]

The task (``openmixosr.analysis.pattern_task``): a small pattern on clutter decides the class; a frozen classifier
trained on clean images; each Mix Block is trained alone on AutoMix's generation loss. Printed per block and lam: the
generation loss and the pattern evidence kept (``kept_i``, ``kept_j``: 1 = whole, 0.5 = blended) next to MixUp,
CutMix and the known right mask; ``masks.png`` shows the learned masks of a few pairs.
"""
import argparse
import os
import os.path as osp
import sys
import textwrap
from typing import Dict, List

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
from openmixosr.analysis.pattern_task import (evaluate_mixers, fit_classifier, fit_mix_block,  # noqa: E402
                                              make_pattern_batch)
from openmixosr.registry import MODELS  # noqa: E402
from openmixosr.utils.tool_errors import run_tool  # noqa: E402

BLOCKS = {
    'AutoMix MixBlock': dict(type='MixBlock', in_channels=64),
    'AutoMix MixBlock, value of x_i': dict(type='MixBlock', in_channels=64, value_source='i'),
    'Mix Block+ (supervised)': dict(type='MixBlockPlus', in_channels=64, lam_adjust=False),
    'Mix Block+ without global attention': dict(type='MixBlockPlus', in_channels=64, lam_adjust=False,
                                                global_attention=False),
    'Mix Block+ w/o global attention, value of x_i': dict(type='MixBlockPlus', in_channels=64, lam_adjust=False,
                                                          global_attention=False, value_source='i'),
    'Mix Block+ with lam adjusting': dict(type='MixBlockPlus', in_channels=64, lam_adjust=True),
}
LAMS = (0.5, 0.3)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                     description='Train Mix Blocks on the pattern task and compare with MixUp/CutMix')
    parser.add_argument('--steps', type=int, default=300, help='Mix Block training steps (batch 64)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0], help='seeds (classifier and Mix Block)')
    parser.add_argument('--blocks', nargs='+', default=list(BLOCKS), choices=list(BLOCKS), help='blocks to train')
    parser.add_argument('--out-dir', default='work_dirs/mix_block_probe', help='where masks.png is written')
    return parser.parse_args(argv)


def run(blocks: List[str], seeds: List[int], steps: int) -> Dict:
    """``{seed: {'classifier_accuracy', block name: (trained block, {lam: evaluate_mixers(...)})}}``."""
    results = {}
    for seed in seeds:
        task = fit_classifier(seed)
        results[seed] = dict(classifier_accuracy=task.clean_accuracy, task=task)
        for name in blocks:
            torch.manual_seed(seed)
            block = MODELS.build(BLOCKS[name])
            fit_mix_block(task, block, seed=seed, steps=steps)
            results[seed][name] = (block, {lam: evaluate_mixers(task, block, lam) for lam in LAMS})
    return results


def format_table(results: Dict, blocks: List[str]) -> str:
    """Mean over seeds of loss / kept_i / kept_j / mask_std per mixer and lam."""
    lines = [f'{"mixer":38s} {"lam":>4s} {"gen. loss":>9s} {"kept_i":>7s} {"kept_j":>7s} {"mask std":>8s}']
    seeds = list(results)
    for lam in LAMS:
        rows = [(name, 'mix_block', name) for name in blocks] + [('MixUp', 'mixup', blocks[0]),
                                                                  ('CutMix', 'cutmix', blocks[0]),
                                                                  ('right mask (oracle)', 'oracle', blocks[0])]
        for label, key, block_name in rows:
            values = np.array([[results[seed][block_name][1][lam][key][metric]
                                for metric in ('loss', 'kept_i', 'kept_j', 'mask_std')] for seed in seeds])
            mean = values.mean(axis=0)
            lines.append(f'{label:38s} {lam:4.1f} {mean[0]:9.3f} {mean[1]:7.3f} {mean[2]:7.3f} {mean[3]:8.3f}')
    return '\n'.join(lines)


@torch.no_grad()
def draw(results: Dict, blocks: List[str], out: str, num_pairs: int = 4, lam: float = 0.5) -> None:
    """Rows: pairs (x_i, x_j, then each block's mask s at ``lam``); the first seed's blocks."""
    seed = next(iter(results))
    task = results[seed]['task']
    batch = make_pattern_batch(num_pairs, torch.Generator().manual_seed(7), num_classes=task.num_classes)
    index = torch.roll(torch.arange(num_pairs), -1)
    features = task.classifier.features(batch.images)
    columns = 2 + len(blocks)
    fig, axes = plt.subplots(num_pairs, columns, figsize=(1.9 * columns, 1.9 * num_pairs), squeeze=False)
    for row in range(num_pairs):
        axes[row, 0].imshow(batch.images[row, 0], cmap='gray', vmin=0, vmax=1)
        axes[row, 1].imshow(batch.images[index[row], 0], cmap='gray', vmin=0, vmax=1)
        for column, name in enumerate(blocks, start=2):
            block = results[seed][name][0].eval()
            s = block(features, lam, index, batch.images.shape[-2:])['mask'][row, 0]
            axes[row, column].imshow(s, cmap='viridis', vmin=0, vmax=1)
    titles = ['x_i', 'x_j'] + [f's: {name}' for name in blocks]
    for column, title in enumerate(titles):
        axes[0, column].set_title('\n'.join(textwrap.wrap(title, 24)), fontsize=7)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f'Learned masks s (weight of x_i, yellow = 1) at lam = {lam}; the right mask keeps the pattern of '
                 'x_i (s = 1) and the pattern of x_j (s = 0)', fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv=None) -> str:
    args = parse_args(argv)
    results = run(args.blocks, args.seeds, args.steps)
    accuracy = [results[seed]['classifier_accuracy'] for seed in args.seeds]
    print(f'classifier accuracy on clean images: {np.mean(accuracy):.3f}; {args.steps} Mix Block steps; '
          f'mean over seeds {args.seeds}')
    print(format_table(results, args.blocks))
    os.makedirs(args.out_dir, exist_ok=True)
    out = osp.join(args.out_dir, 'masks.png')
    draw(results, args.blocks, out)
    print(f'masks: {out}')
    return out


if __name__ == '__main__':
    run_tool(main)
