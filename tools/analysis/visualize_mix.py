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

Takes ``--num-pairs + 1`` images spread evenly over the config's training set (``--split train``, the default: the
known-class images training mixes, through the test pipeline so that the figure does not change from run to run;
self-supervised configs, without a test pipeline, through their own) or its validation set (``--split test``: for an
open-set config this includes unknown-class images, which training never mixes), runs them through the pipeline and the
model's data preprocessor, pairs image i with image i + 1 and, for every lam, draws the Mix Block's mask ``s`` (the
weight of ``x_i``; for AMix after its lam adjusting, i.e. the mask the classifier is trained on) as a training step
draws it (``model.masks_for``: the feature network and the Mix Block as in training, the model's modes and buffers left
unchanged).

The figure has one row per pair and the columns ``x_i``, ``x_j``, then for each lam the mask ``s`` and the mixed image
``s * x_i + (1 - s) * x_j``, named once in the column headers. Under each image is its class name (the dataset's
``classes``; ``unknown`` for an unknown-class image), under each mask its mean. Masks use the perceptually uniform
``viridis`` colormap on [0, 1] with one colour bar; images are shown in the channel order the model sees,
denormalised with the data preprocessor's mean and std.
"""
import argparse
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

from openmixosr.engine import load_checkpoint_for_config  # noqa: E402
from openmixosr.evaluation.feature_bank import train_loader_with_test_pipeline  # noqa: E402
from openmixosr.models.contracts import DrawsMasks  # noqa: E402
from openmixosr.models.paired_mixers import LearnedMaskMixer  # noqa: E402
from openmixosr.models.utils import mask_mix  # noqa: E402
from openmixosr.utils import merge_cfg_options, register_all_modules  # noqa: E402
from openmixosr.utils.config import load_config as load_config_file  # noqa: E402
from openmixosr.utils.tool_errors import run_tool  # noqa: E402

CELL_WIDTH = 1.4  # inches per column
CELL_HEIGHT = 1.55  # inches per row (image + the text under it)
HEADER_HEIGHT = 0.3  # inches, the column headers
COLORBAR_WIDTH = 0.75  # inches, the colour bar of the masks and its label
DPI = 100
#: Perceptually uniform (and readable with the common colour-vision deficiencies, and in grey): the masks' colormap.
MASK_CMAP = 'viridis'


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Visualise the Mix Block masks of an AutoMix / AMix checkpoint or of '
                                                 'an asymmetric distiller with a learned mixer.')
    parser.add_argument('config', help='AutoMix, AMix or asymmetric-distiller (LearnedMaskMixer) config file, or '
                        'openmixosr::NAME')
    parser.add_argument('checkpoint', help='checkpoint file (.pth)')
    parser.add_argument('--out', default='mix.png', help='output PNG (default: %(default)s)')
    parser.add_argument('--lams', type=float, nargs='+', default=[0.2, 0.5, 0.8],
                        help='mixing ratios to show, in [0, 1] (default: 0.2 0.5 0.8)')
    parser.add_argument('--num-pairs', type=int, default=4, help='rows of the grid (default: %(default)s)')
    parser.add_argument('--split', choices=('train', 'test'), default='train',
                        help="train: images of train_dataloader's dataset, the known classes training mixes, "
                        "through the test pipeline (default); test: val_dataloader's, which for open-set configs "
                        "includes unknown-class images that training never mixes")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, help='override config settings, key=value')
    args = parser.parse_args(argv)
    if args.num_pairs < 1:
        parser.error('--num-pairs must be >= 1')
    if any(not 0.0 <= lam <= 1.0 for lam in args.lams):
        parser.error(f'--lams must lie in [0, 1], got {args.lams}')
    return args


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """The config (a path or ``openmixosr::NAME``) with the command-line overrides merged as the other tools merge
    them (``merge_cfg_options``: the open-set split and the data roots reach every dataset)."""
    return merge_cfg_options(load_config_file(path), cfg_options)


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
    train_metainfo = DATASETS.build(dataset_config(cfg, 'train')).metainfo
    load_checkpoint_for_config(model, checkpoint, cfg.get('load_cfg'), train_metainfo)


def check_mix_model(model: torch.nn.Module) -> None:
    """Raise a clear error unless the model draws learned masks: it has ``masks_for``
    (:class:`~openmixosr.models.contracts.DrawsMasks`: AutoMix / AMix, MoCoAMix / MoCoAMixCluster, an
    AsymmetricDistiller) and its ``mixer`` is a ``LearnedMaskMixer`` (CutMix and MixUp have no masks to draw)."""
    if not isinstance(model, DrawsMasks):
        raise ValueError(f'{type(model).__name__} draws no learned masks (no masks_for): visualize_mix.py needs an '
                         f'AutoMix or AMix model (configs/automix/, configs/amix/; MoCoAMix, MoCoAMixCluster) or an '
                         f'AsymmetricDistiller with a learned mixer (configs/asym/*_mask.py).')
    if not isinstance(model.mixer, LearnedMaskMixer):
        raise ValueError(f'{type(model).__name__}: its mixer is {type(model.mixer).__name__}, not a LearnedMaskMixer: '
                         f'no Mix Block to draw.')


def dataset_config(cfg: Config, split: str):
    """The dataset the images come from: ``val_dataloader``'s for ``'test'``; for ``'train'`` the training set through
    the test pipeline (no random crops or flips: the figure is the same on every run), or through its own pipeline
    when the config has no test pipeline (self-supervised configs: the first view is the query view)."""
    key = 'val_dataloader' if split == 'test' else 'train_dataloader'
    if cfg.get(key) is None:
        hint = ' (self-supervised configs: use --split train)' if split == 'test' else ''
        raise ValueError(f'The config has no {key} to take images from{hint}.')
    if split == 'train' and (cfg.get('test_dataloader') or cfg.get('val_dataloader')):
        return train_loader_with_test_pipeline(cfg)['dataset']
    return cfg[key].dataset


def load_batch(cfg: Config, model: torch.nn.Module, split: str, num_images: int) -> Tuple[torch.Tensor, List[str]]:
    """``num_images`` samples spread evenly over the dataset, through its pipeline and the data preprocessor.

    Returns:
        tuple[Tensor, list[str]]: Normalised inputs [n, C, H, W] and the class name of each sample
        (:func:`label_text`: the dataset's ``classes``, ``unknown`` for an unknown-class sample).
    """
    from openmixosr.registry import DATASETS
    dataset = DATASETS.build(dataset_config(cfg, split))
    if len(dataset) < num_images:
        raise ValueError(f'The {split} dataset has {len(dataset)} samples, fewer than the {num_images} needed.')
    indices = np.linspace(0, len(dataset) - 1, num_images).round().astype(int)
    loader_cfg = cfg['val_dataloader' if split == 'test' else 'train_dataloader']
    collate = default_collate if loader_cfg.get('collate_fn', {}).get('type') == 'default_collate' else pseudo_collate
    batch = model.data_preprocessor(collate([dataset[int(i)] for i in indices]), False)
    labels = [int(sample.gt_label[0]) if 'gt_label' in sample else None for sample in batch['data_samples']]
    inputs = batch['inputs']
    if isinstance(inputs, (list, tuple)):  # self-supervised AMix: the query view is the one that is mixed
        inputs = inputs[0]
    classes = tuple(str(name) for name in dataset.metainfo.get('classes') or ())
    return inputs, [label_text(label, classes) for label in labels]


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
    """Size in inches of the grid: ``2 + 2 * num_lams`` columns and the colour bar, ``num_pairs`` rows and the
    column headers."""
    return CELL_WIDTH * (2 + 2 * num_lams) + COLORBAR_WIDTH, CELL_HEIGHT * num_pairs + HEADER_HEIGHT


def column_headers(lams: Sequence[float]) -> List[str]:
    """``x_i``, ``x_j``, then for each lam the mask and the mixed image."""
    headers = ['$x_i$', '$x_j$']
    for lam in lams:
        headers += [f'mask $s$, $\\lambda$={lam:g}', f'mixed, $\\lambda$={lam:g}']
    return headers


def label_text(label: Optional[int], classes: Sequence[str]) -> str:
    """The class name of a label (``unknown`` for -1, the index when the dataset names no classes, ``''`` without
    a label)."""
    if label is None:
        return ''
    if label < 0:
        return 'unknown'
    return classes[label] if label < len(classes) else str(label)


def _show(ax, image: np.ndarray, text: str, **kwargs):
    if image.ndim == 2:
        kwargs = dict(dict(cmap='gray', vmin=0, vmax=1), **kwargs)
    shown = ax.imshow(image, **kwargs)
    ax.set_xlabel(text, fontsize=8, labelpad=2)
    ax.set_xticks([])
    ax.set_yticks([])
    return shown


def draw_grid(images: np.ndarray, names: Sequence[str], mixes: Dict[float, Dict[str, torch.Tensor]],
              mixed_images: Dict[float, np.ndarray], index: torch.Tensor, num_pairs: int) -> plt.Figure:
    """The grid: per pair ``x_i``, ``x_j``, then per lam the mask ``s`` and the mixed image; column headers on the
    first row, class names under the images, mean(s) under the masks, one colour bar for the masks (its axes are the
    figure's last)."""
    lams = list(mixes)
    headers = column_headers(lams)
    fig = plt.figure(figsize=figure_size(num_pairs, len(lams)), dpi=DPI, layout='constrained')
    grid = fig.add_gridspec(num_pairs, len(headers) + 1,
                            width_ratios=[CELL_WIDTH] * len(headers) + [COLORBAR_WIDTH / 3])
    axes = np.array([[fig.add_subplot(grid[row, column]) for column in range(len(headers))]
                     for row in range(num_pairs)])
    masks = None
    for row in range(num_pairs):
        j = int(index[row])
        _show(axes[row, 0], images[row], names[row])
        _show(axes[row, 1], images[j], names[j])
        for k, lam in enumerate(lams):
            s = mixes[lam]['s'][row].float().cpu().numpy()
            masks = _show(axes[row, 2 + 2 * k], s, f'mean {s.mean():.2f}', cmap=MASK_CMAP, vmin=0, vmax=1)
            _show(axes[row, 3 + 2 * k], mixed_images[lam][row], '')
    for ax, header in zip(axes[0], headers):
        ax.set_title(header, fontsize=9)
    colorbar = fig.colorbar(masks, cax=fig.add_subplot(grid[:, -1]))
    colorbar.set_label('$s$: weight of $x_i$', fontsize=8)
    colorbar.ax.tick_params(labelsize=7)
    return fig


def plot_grid(images: np.ndarray, names: Sequence[str], mixes: Dict[float, Dict[str, torch.Tensor]],
              mixed_images: Dict[float, np.ndarray], index: torch.Tensor, num_pairs: int, out: str) -> str:
    """Write :func:`draw_grid` to ``out`` (a PNG of :func:`figure_size` at :data:`DPI`); return ``out``."""
    fig = draw_grid(images, names, mixes, mixed_images, index, num_pairs)
    fig.savefig(out, dpi=DPI)
    plt.close(fig)
    return out


def visualize(cfg: Config, checkpoint: Optional[str], out: str, lams: Sequence[float], num_pairs: int,
              split: str = 'train') -> str:
    """Build, load, mix and plot; return the path of the PNG."""
    model = build_model(cfg, checkpoint)
    inputs, names = load_batch(cfg, model, split, num_pairs + 1)
    index = pair_index(inputs.size(0))
    mixes = mix_for_lams(model, inputs, index, lams)
    mean, std = preprocessor_stats(model)
    images = denormalize(inputs, mean, std)
    mixed_images = {lam: denormalize(mix['mixed'], mean, std) for lam, mix in mixes.items()}
    return plot_grid(images, names, mixes, mixed_images, index, num_pairs, out)


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
    run_tool(main)
