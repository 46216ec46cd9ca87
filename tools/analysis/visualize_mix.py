"""Draw the masks of a trained Mix Block and the images they mix (like Fig. 4 of the AutoMix paper).

Examples::

    python tools/analysis/visualize_mix.py configs/automix/automix_r18w16_digits.py \\
        work_dirs/automix_r18w16_digits/epoch_30.pth --out mix.png --lams 0.2 0.5 0.8 --num-pairs 4
    python tools/analysis/visualize_mix.py configs/asym/r18_digits_automix_mask.py \\
        work_dirs/r18_digits_automix_mask/epoch_30.pth --out distiller_mix.png

A model has a Mix Block to draw when its ``mixer`` is a ``LearnedMaskMixer``:

- AutoMix / AMix (and MoCo v2 AMix, ``MomentumMixMixin``): the Mix Block takes the momentum encoder's features up to
  ``mixer.mix_layer``;
- an ``AsymmetricDistiller`` with a learned mixer (``configs/asym/*_mask.py``): the Mix Block takes
  the frozen teacher's stage ``mixer.mix_layer`` on the clean images (or the mixer's own encoder, for a Mix Block
  frozen from an AutoMix checkpoint). The distiller's checkpoint holds the teacher, so the config's
  ``teacher_checkpoint`` is not read; a frozen mixer's ``checkpoint`` (the AutoMix run) is, when the model is built.

Takes ``--num-pairs + 1`` images spread evenly over the config's val (``--split test``, default) or train dataset,
runs them through the dataset's pipeline and the model's data preprocessor, pairs image i with image i + 1 and, for
every lam, draws the Mix Block's mask ``s`` (the weight of ``x_i``; for AMix after its lam adjusting, i.e. the mask
the classifier is trained on) as a training step draws it (``model.masks_for``: the feature network and the Mix
Block as in training, the model's modes and buffers left unchanged). One row per pair: ``x_i``, ``x_j``, then for
each lam the mask (heatmap, titled with lam and mean(s)) and the mixed image ``s * x_i + (1 - s) * x_j``. Images are
shown in the channel order the model sees, denormalised with the data preprocessor's mean and std.
"""
import argparse
import logging
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.dataset import default_collate, pseudo_collate  # noqa: E402
from mmengine.logging import print_log  # noqa: E402

from openmixosr.engine import check_checkpoint_classes, load_checked_checkpoint, load_settings  # noqa: E402
from openmixosr.models.algorithms import AsymmetricDistiller, MomentumMixMixin  # noqa: E402
from openmixosr.models.paired_mixers import LearnedMaskMixer  # noqa: E402
from openmixosr.models.utils import mask_mix  # noqa: E402
from openmixosr.utils import merge_cfg_options, register_all_modules  # noqa: E402

CELL_WIDTH = 1.6  # inches per column
CELL_HEIGHT = 1.8  # inches per row (image + title)
SUPTITLE_HEIGHT = 0.4  # inches
DPI = 100


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Visualise the Mix Block masks of an AutoMix / AMix checkpoint or of '
                                                 'an asymmetric distiller with a learned mixer.')
    parser.add_argument('config', help='AutoMix, AMix or asymmetric-distiller (LearnedMaskMixer) config file')
    parser.add_argument('checkpoint', help='checkpoint file (.pth)')
    parser.add_argument('--out', default='mix.png', help='output PNG')
    parser.add_argument('--lams', type=float, nargs='+', default=[0.2, 0.5, 0.8], help='mixing ratios to show')
    parser.add_argument('--num-pairs', type=int, default=4, help='rows of the grid')
    parser.add_argument('--split', choices=('test', 'train'), default='test',
                        help="images of val_dataloader's (test) or train_dataloader's dataset")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings, key=value')
    args = parser.parse_args(argv)
    if args.num_pairs < 1:
        parser.error('--num-pairs must be >= 1')
    if any(not 0.0 <= lam <= 1.0 for lam in args.lams):
        parser.error(f'--lams must lie in [0, 1], got {args.lams}')
    return args


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """The config with the command-line overrides merged as the other tools merge them (``merge_cfg_options``: the
    open-set split and the data roots reach every dataset)."""
    return merge_cfg_options(Config.fromfile(path), cfg_options)


def build_model(cfg: Config, checkpoint: Optional[str] = None) -> torch.nn.Module:
    """Build ``cfg.model`` (with the top-level ``data_preprocessor``, as the Runner does), load the checkpoint
    (:func:`load_checkpoint`) and return it in eval mode on the CPU.

    With a checkpoint, a distiller's ``teacher_checkpoint`` is not loaded: the distiller's checkpoint holds the
    teacher (strict keys).
    """
    from openmixosr.registry import MODELS
    model_cfg = cfg.model.copy()
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    if checkpoint is not None and 'teacher_checkpoint' in model_cfg:
        model_cfg.teacher_checkpoint = None
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='.*no teacher_checkpoint')
        model = MODELS.build(model_cfg)
    check_mix_model(model)
    if checkpoint is not None:
        load_checkpoint(model, cfg, checkpoint)
    return model.eval()


def load_checkpoint(model: torch.nn.Module, cfg: Config, checkpoint: str) -> None:
    """Load ``checkpoint`` into ``model`` as ``tools/test.py`` does: weights-only, as the config's ``load_cfg`` says
    (strict by default: a checkpoint that does not fit raises ``CheckpointMismatchError``), and refused
    (``KnownClassesMismatchError``) when it was trained on other known classes than the config's training set, unless
    ``--cfg-options load_cfg.allow_other_classes=True``. A checkpoint that records no classes is loaded with a
    warning."""
    from openmixosr.registry import DATASETS
    settings = load_settings(cfg.get('load_cfg'))
    train_metainfo = DATASETS.build(dataset_config(cfg, 'train')).metainfo

    def check_classes(dataset_meta):
        note = check_checkpoint_classes(dataset_meta, train_metainfo, f'Checkpoint {checkpoint}',
                                        'the training set of this config',
                                        allow_other_classes=settings['allow_other_classes'])
        if note:
            print_log(note, logger='current', level=logging.WARNING)

    load_checked_checkpoint(model, checkpoint, check_classes, strict=settings['strict'], prefix=settings['prefix'])


def check_mix_model(model: torch.nn.Module) -> None:
    """Raise a clear error unless the model draws learned masks: a ``MomentumMixMixin`` (AutoMix, AMix, MoCo v2 AMix)
    or an ``AsymmetricDistiller`` whose ``mixer`` is a ``LearnedMaskMixer``."""
    mixer = getattr(model, 'mixer', None)
    if isinstance(model, (AsymmetricDistiller, MomentumMixMixin)) and isinstance(mixer, LearnedMaskMixer):
        return
    what = f'its mixer is {type(mixer).__name__}' if mixer is not None else 'it has no mixer'
    raise ValueError(f'{type(model).__name__}: {what}, not a LearnedMaskMixer: no Mix Block to draw. '
                     f'visualize_mix.py needs an AutoMix or AMix model (configs/automix/, configs/amix/; MoCoAMix, '
                     f'MoCoAMixCluster) or an AsymmetricDistiller with a learned mixer (configs/asym/*_mask.py).')


def dataset_config(cfg: Config, split: str):
    key = 'val_dataloader' if split == 'test' else 'train_dataloader'
    if cfg.get(key) is None:
        hint = ' (self-supervised configs: use --split train)' if split == 'test' else ''
        raise ValueError(f'The config has no {key} to take images from{hint}.')
    return cfg[key].dataset


def load_batch(cfg: Config, model: torch.nn.Module, split: str, num_images: int) -> Tuple[torch.Tensor, List[int]]:
    """``num_images`` samples spread evenly over the dataset, through its pipeline and the data preprocessor.

    Returns:
        tuple[Tensor, list[int]]: Normalised inputs [n, C, H, W] and the labels (-1 = unknown).
    """
    from openmixosr.registry import DATASETS
    dataset = DATASETS.build(dataset_config(cfg, split))
    if len(dataset) < num_images:
        raise ValueError(f'The {split} dataset has {len(dataset)} samples, fewer than the {num_images} needed.')
    indices = np.linspace(0, len(dataset) - 1, num_images).round().astype(int)
    loader_cfg = cfg['val_dataloader' if split == 'test' else 'train_dataloader']
    collate = default_collate if loader_cfg.get('collate_fn', {}).get('type') == 'default_collate' else pseudo_collate
    batch = model.data_preprocessor(collate([dataset[int(i)] for i in indices]), False)
    labels = [int(sample.gt_label[0]) if 'gt_label' in sample else -1 for sample in batch['data_samples']]
    inputs = batch['inputs']
    if isinstance(inputs, (list, tuple)):  # self-supervised AMix: the query view is the one that is mixed
        inputs = inputs[0]
    return inputs, labels


def denormalize(inputs: torch.Tensor, mean: Optional[torch.Tensor], std: Optional[torch.Tensor]) -> np.ndarray:
    """Undo the data preprocessor's ``(x - mean) / std`` and scale 0..255 to 0..1 for display.

    Args:
        inputs (Tensor): Normalised images [N, C, H, W].
        mean (Tensor, optional): Per-channel mean, shape [C, 1, 1] (None: the images were not normalised).
        std (Tensor, optional): Per-channel std, shape [C, 1, 1].

    Returns:
        ndarray: [N, H, W, C] float images in [0, 1] (C = 1 squeezed to [N, H, W]).
    """
    images = inputs.detach().float().cpu()
    if mean is not None and std is not None:
        images = images * std.reshape(1, -1, 1, 1).float() + mean.reshape(1, -1, 1, 1).float()
    images = (images / 255.0).clamp(0, 1).permute(0, 2, 3, 1).numpy()
    return images[..., 0] if images.shape[-1] == 1 else images


def preprocessor_stats(model: torch.nn.Module) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
    """The data preprocessor's mean and std (None when it does not normalise: then it has no such buffers)."""
    preprocessor = model.data_preprocessor
    return getattr(preprocessor, 'mean', None), getattr(preprocessor, 'std', None)


def pair_index(num_images: int) -> torch.Tensor:
    """The pairing ``j(i) = i + 1`` (the last image pairs with the first)."""
    return torch.roll(torch.arange(num_images), -1)


@torch.no_grad()
def mix_for_lams(model: torch.nn.Module, inputs: torch.Tensor, index: torch.Tensor,
                 lams: Sequence[float]) -> Dict[float, Dict[str, torch.Tensor]]:
    """Masks and mixed images of the Mix Block for each lam, drawn as a training step draws them.

    ``model.masks_for`` computes the features as training does (AutoMix / AMix: the momentum encoder's backbone up to
    ``mixer.mix_layer`` with the batch's BatchNorm statistics; a distiller: the frozen teacher's stage
    ``mixer.mix_layer``, or the mixer's own encoder) and runs the Mix Block in train mode; the model is left as it
    was.

    Args:
        model (nn.Module): A model that :func:`check_mix_model` accepts.
        inputs (Tensor): Normalised images [N, C, H, W].
        index (LongTensor): Pairing [N].
        lams (Sequence[float]): Mixing ratios.

    Returns:
        dict: lam -> ``{'s': [N, H, W] weight of x_i, 'mixed': [N, C, H, W] normalised mixed images}``.
    """
    result = {}
    for lam in lams:
        mask = model.masks_for(inputs, lam, index)['mask']
        result[lam] = dict(s=mask[:, 0], mixed=mask_mix(inputs, mask, index))
    return result


def figure_size(num_pairs: int, num_lams: int) -> Tuple[float, float]:
    """Size in inches of the grid: ``2 + 2 * num_lams`` columns, ``num_pairs`` rows, and the title."""
    return CELL_WIDTH * (2 + 2 * num_lams), CELL_HEIGHT * num_pairs + SUPTITLE_HEIGHT


def label_text(label: int) -> str:
    return 'unknown' if label < 0 else f'y={label}'


def _show(ax, image: np.ndarray, title: str, **kwargs) -> None:
    ax.imshow(image, cmap=kwargs.pop('cmap', 'gray' if image.ndim == 2 else None), **kwargs)
    ax.set_title(title, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_grid(images: np.ndarray, labels: Sequence[int], mixes: Dict[float, Dict[str, torch.Tensor]],
              mixed_images: Dict[float, np.ndarray], index: torch.Tensor, num_pairs: int, out: str) -> str:
    """Write the grid: per pair ``x_i``, ``x_j``, then per lam the mask ``s`` and the mixed image."""
    lams = list(mixes)
    fig, axes = plt.subplots(num_pairs, 2 + 2 * len(lams), figsize=figure_size(num_pairs, len(lams)), dpi=DPI,
                             squeeze=False)
    for row in range(num_pairs):
        j = int(index[row])
        _show(axes[row, 0], images[row], f'x_i (#{row}, {label_text(labels[row])})')
        _show(axes[row, 1], images[j], f'x_j (#{j}, {label_text(labels[j])})')
        for k, lam in enumerate(lams):
            s = mixes[lam]['s'][row].float().cpu().numpy()
            _show(axes[row, 2 + 2 * k], s, f's: lam={lam:.2f}, mean(s)={s.mean():.2f}', cmap='jet', vmin=0, vmax=1)
            _show(axes[row, 3 + 2 * k], mixed_images[lam][row], f'mixed, lam={lam:.2f}')
    fig.suptitle('Mix Block masks s (weight of x_i; jet: blue 0, red 1) and mixed images', fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=DPI)
    plt.close(fig)
    return out


def visualize(cfg: Config, checkpoint: Optional[str], out: str, lams: Sequence[float], num_pairs: int,
              split: str = 'test') -> str:
    """Build, load, mix and plot; return the path of the PNG."""
    model = build_model(cfg, checkpoint)
    inputs, labels = load_batch(cfg, model, split, num_pairs + 1)
    index = pair_index(inputs.size(0))
    mixes = mix_for_lams(model, inputs, index, lams)
    mean, std = preprocessor_stats(model)
    images = denormalize(inputs, mean, std)
    mixed_images = {lam: denormalize(mix['mixed'], mean, std) for lam, mix in mixes.items()}
    return plot_grid(images, labels, mixes, mixed_images, index, num_pairs, out)


def main(argv: Optional[List[str]] = None) -> str:
    args = parse_args(argv)
    register_all_modules(init_default_scope=True)
    cfg = load_config(args.config, args.cfg_options)
    out_dir = osp.dirname(osp.abspath(args.out))
    if not osp.isdir(out_dir):
        raise FileNotFoundError(f'The directory of --out does not exist: {out_dir}')
    path = visualize(cfg, args.checkpoint, args.out, args.lams, args.num_pairs, args.split)
    print(f'Saved {path}')
    return path


if __name__ == '__main__':
    main()
