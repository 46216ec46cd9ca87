"""The known class, the open-set scores and a known / unknown decision of new images: :class:`OpenSetInferencer`.

The inferencer is ``tools/test.py`` without a test set: the same config (its test pipeline and data preprocessor), the
same checked checkpoint loading, the same ``predict`` (``pred_logits``, ``pred_features``), the same registry scores
fitted the same way (and sharing the score cache next to the checkpoint). What it adds is an operating point: the
threshold ``t`` of each score that keeps a fraction ``threshold_tpr`` of the known validation samples (docs/metrics.md,
"The known / unknown threshold"); an image with ``score >= t`` of the first score is called known.
"""
import copy
import os
import os.path as osp
import warnings
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmcv.transforms import LoadImageFromFile
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.logging import print_log
from mmengine.registry import FUNCTIONS, DefaultScope

from openmixosr.datasets.image_folder import IMAGE_EXTENSIONS, image_files
from openmixosr.datasets.loading import StrictLoadImageFromFile
from openmixosr.engine.checkpoint_loading import load_checkpoint_for_config
from openmixosr.evaluation.feature_bank import collect_feature_bank, dataset_pipeline
from openmixosr.evaluation.functional import threshold_at_tpr
from openmixosr.evaluation.metrics.open_set import UNKNOWN_LABEL, OpenSetScoreMetric
from openmixosr.evaluation.score_fitting import fit_metric_scores
from openmixosr.evaluation.scores import FeatureBank
from openmixosr.utils.config import load_config, merge_cfg_options
from openmixosr.utils.setup_env import register_all_modules

#: One image: a file path, or an ``H x W x 3`` (or ``H x W``) uint8 RGB array.
ImageInput = Union[str, os.PathLike, np.ndarray]
#: What :meth:`OpenSetInferencer.__call__` takes: one image, a folder of images, or a list of images and folders.
InputsType = Union[ImageInput, Sequence[ImageInput]]
DEFAULT_SCORES = ('mls', 'msp', 'energy')


class OpenSetInferencer:
    """Known class, open-set scores and a known / unknown decision for image files, arrays or a folder.

    Built once from a config and a checkpoint (like ``tools/test.py CONFIG CHECKPOINT``):

    1. The config (a path, ``openmixosr::NAME`` or a :class:`Config`) gets ``cfg_options`` as the tools merge them
       and is prepared as ``tools/test.py`` prepares it (a distiller's ``teacher_checkpoint`` is not read: the
       checkpoint holds the teacher).
    2. The model is built and the checkpoint loaded by
       :func:`~openmixosr.engine.checkpoint_loading.load_checked_checkpoint` as the config's ``load_cfg`` says:
       strictly (``CheckpointMismatchError`` when it does not fit), refused when it was trained on other known classes
       than the config's training set (``KnownClassesMismatchError``, unless ``load_cfg.allow_other_classes``).
    3. The scores (``OPEN_SET_SCORES`` names or configs, as ``tools/test.py --scores``) are fitted as
       ``tools/test.py`` fits them (:func:`~openmixosr.evaluation.score_fitting.fit_metric_scores`): statistics of
       scores fitted on the training set come from the score cache next to the checkpoint, or are fitted on the
       training set's features (test pipeline) and written there.
    4. With ``threshold_tpr``, one pass over the known samples of the config's validation set gives each score its
       threshold :func:`~openmixosr.evaluation.functional.threshold_at_tpr` (the largest ``t`` that keeps at least
       ``threshold_tpr`` of them). For the digits and the other benchmark configs the validation set is the test set.

    Calling it on images runs the test pipeline, the data preprocessor and ``predict`` in batches of the test
    dataloader's size (the batches of ``tools/test.py``), then scores all images at once. Inputs:

    - a file path: decoded by the test pipeline's loading transform; for configs of array-backed data (digits, MNIST,
      SVHN, CIFAR: no loading transform, RGB arrays) by ``StrictLoadImageFromFile`` and turned to RGB;
    - an array: ``H x W x 3`` RGB (as PIL or matplotlib give it) or ``H x W`` gray, uint8: the image as the array
      datasets store it (turned to BGR for configs whose pipeline decodes files, as mmcv decodes them);
    - a folder: its image files (:data:`~openmixosr.datasets.image_folder.IMAGE_EXTENSIONS`), sorted by name, not
      searching sub-folders;
    - a list of the above.

    Args:
        config (str | Config): Config file, ``openmixosr::NAME``, or a loaded config.
        checkpoint (str): Checkpoint file (or URL) of that config.
        scores (Sequence[str | dict]): Open-set scores to compute, by name (``'mls'``, ``'knn'``, ...) or config
            (``dict(type='KNNScore', k=10)``); the first one makes the known / unknown decision. Defaults to
            ``('mls', 'msp', 'energy')``, which need the logits only.
        threshold_tpr (float, optional): Fraction of the known validation samples each score's threshold keeps, in
            (0, 1]. Defaults to 0.95 (TPR 95 %). None: no thresholds, no validation pass, ``known`` is None.
        device (str | torch.device, optional): Where the model runs. Defaults to ``'cuda'`` when available, else
            ``'cpu'``.
        cfg_options (dict, optional): Config overrides, as ``--cfg-options`` (``{'split': 3}``).
        batch_size (int, optional): Images per forward pass. Defaults to the test dataloader's batch size.

    Attributes:
        classes (tuple[str]): The known class names, label ``i`` = ``classes[i]``: the checkpoint's
            ``meta.dataset_meta.classes``, or the training set's when the checkpoint records none.
        score_names (list[str]): The names of the scores, in order; ``score_names[0]`` decides.
        thresholds (dict[str, float]): Each score's threshold (empty without ``threshold_tpr``).

    Raises:
        KeyError: An unknown score name (before anything is loaded).
        ValueError: A ``threshold_tpr`` outside (0, 1], a validation set without known samples.
        CheckpointMismatchError: The checkpoint does not fit the config's model.
        KnownClassesMismatchError: The checkpoint was trained on other known classes than the config.

    Example:
        >>> from openmixosr.apis import OpenSetInferencer
        >>> inferencer = OpenSetInferencer('openmixosr::baselines/ce_r18w16_digits.py',
        ...                                'work_dirs/ce_r18w16_digits/epoch_30.pth', scores=('mls', 'knn'))
        >>> inferencer(['digit.png', 'other.png'])[0]
        {'input': 'digit.png', 'pred_label': 1, 'pred_class': '4', 'scores': {'mls': 7.91, 'knn': -0.42},
         'known': True, 'logits': array([...], dtype=float32)}
    """

    def __init__(self,
                 config: Union[str, Config],
                 checkpoint: str,
                 scores: Sequence[Union[str, dict]] = DEFAULT_SCORES,
                 threshold_tpr: Optional[float] = 0.95,
                 device: Union[str, torch.device, None] = None,
                 cfg_options: Optional[dict] = None,
                 batch_size: Optional[int] = None) -> None:
        if isinstance(scores, str):
            raise TypeError(f'scores must be a sequence of score names or configs, got the string {scores!r} (write '
                            f'[{scores!r}] for one score).')
        if not scores:
            raise ValueError('OpenSetInferencer needs at least one score (the first one decides known / unknown).')
        if threshold_tpr is not None and not 0.0 < threshold_tpr <= 1.0:
            raise ValueError(f'threshold_tpr is the fraction of known validation samples kept, in (0, 1]; got '
                             f'{threshold_tpr!r}.')
        if batch_size is not None and batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size}.')
        register_all_modules(init_default_scope=False)
        # Built first: an unknown score name fails before the checkpoint or any data is read.
        self._scorer = InferenceScores(scores=list(scores))
        self.score_names: List[str] = list(self._scorer.scores)
        self._keep_features = any(score.uses_features for score in self._scorer.scores.values())
        self.threshold_tpr = threshold_tpr
        cfg = load_config(config) if isinstance(config, str) else copy.deepcopy(config)
        self.cfg = prepare_config(cfg, cfg_options)
        self.checkpoint = checkpoint
        self.device = torch.device(device or ('cuda' if torch.cuda.is_available() else 'cpu'))
        with DefaultScope.overwrite_default_scope(self.cfg.get('default_scope', 'openmixosr')):
            self.model, self.classes = self._build_and_load()
            self._load_input, self._pipeline = self._build_pipeline()
            self._collate = self._build_collate()
            # The score cache lies next to a local checkpoint only (as tools/test.py's, which tests local files).
            fit_metric_scores(self.model, self.cfg, [self._scorer],
                              checkpoint if osp.isfile(checkpoint) else None)
            self.thresholds = self._validation_thresholds() if threshold_tpr is not None else {}
        loader_cfg = self.cfg.get('test_dataloader') or self.cfg.val_dataloader
        self.batch_size = batch_size or loader_cfg.get('batch_size', 1)

    # ------------------------------------------------------------------------------------------------------ setup
    def _build_and_load(self):
        """The model of the config with the checkpoint loaded (eval mode, on :attr:`device`) and the class names."""
        from openmixosr.registry import DATASETS, MODELS
        # A deep copy, as the runner's: building fills in the model's and preprocessor's configs, which the score
        # cache key reads from the config.
        model_cfg = copy.deepcopy(self.cfg.model)
        if self.cfg.get('data_preprocessor') is not None:
            model_cfg.setdefault('data_preprocessor', copy.deepcopy(self.cfg.data_preprocessor))
        with warnings.catch_warnings():  # a distiller built without its teacher file: the checkpoint holds the teacher
            warnings.filterwarnings('ignore', message='.*no teacher_checkpoint')
            model = MODELS.build(model_cfg)
        train_metainfo = DATASETS.build(self.cfg.train_dataloader.dataset).metainfo
        checkpoint = load_checkpoint_for_config(model, self.checkpoint, self.cfg.get('load_cfg'), train_metainfo)
        meta = checkpoint.get('meta', {}) if isinstance(checkpoint, dict) else {}
        classes = (meta.get('dataset_meta') or {}).get('classes') or train_metainfo.get('classes')
        if classes is None:
            raise ValueError(f'Neither the checkpoint {self.checkpoint} nor the training set of the config names the '
                             'known classes: there are no class names to predict.')
        return model.to(self.device).eval(), tuple(str(name) for name in classes)

    def _build_pipeline(self):
        """``(load one input -> results dict, the rest of the test pipeline)``."""
        from openmixosr.registry import TRANSFORMS
        loader_cfg = self.cfg.get('test_dataloader') or self.cfg.val_dataloader
        transforms = [TRANSFORMS.build(transform) for transform in dataset_pipeline(loader_cfg.dataset)]
        loading = [position for position, transform in enumerate(transforms)
                   if isinstance(transform, LoadImageFromFile)]
        if loading not in ([], [0]):
            raise ValueError(f'The test pipeline loads images at step(s) {loading}; OpenSetInferencer needs the '
                             'loading transform first (or none, for array-backed data).')
        decoder = transforms[0] if loading else None
        return partial(load_input, decoder=decoder), Compose(transforms[len(loading):])

    def _build_collate(self) -> Callable:
        """The test dataloader's ``collate_fn`` (MMEngine's default: ``pseudo_collate``)."""
        loader_cfg = self.cfg.get('test_dataloader') or self.cfg.val_dataloader
        collate_cfg = dict(loader_cfg.get('collate_fn') or dict(type='pseudo_collate'))
        collate_type = collate_cfg.pop('type')
        collate = FUNCTIONS.get(collate_type) if isinstance(collate_type, str) else collate_type
        return partial(collate, **collate_cfg)

    def _validation_thresholds(self) -> Dict[str, float]:
        """Every score's :func:`threshold_at_tpr` on the known samples of the validation set."""
        loader_cfg = self.cfg.get('val_dataloader') or self.cfg.test_dataloader
        print_log('Scoring the known validation samples for the known / unknown thresholds', logger='current')
        bank = collect_feature_bank(self.model, loader_cfg)
        known = bank.labels != UNKNOWN_LABEL
        if not known.any():
            raise ValueError('The validation set of the config has no known samples: no threshold can keep a fraction '
                             'of them (pass threshold_tpr=None for scores without a decision).')
        known_bank = FeatureBank(features=bank.features[known], logits=bank.logits[known])
        return {name: threshold_at_tpr(score.score(known_bank), self.threshold_tpr)
                for name, score in self._scorer.scores.items()}

    # ------------------------------------------------------------------------------------------------------ calling
    def __call__(self, inputs: InputsType) -> List[dict]:
        """Predict every image of ``inputs``.

        Args:
            inputs (str | PathLike | np.ndarray | Sequence): See the class docstring.

        Returns:
            list[dict]: Per image, in input order (a folder's files sorted by name): ``input`` (the path, or
            ``'array[i]'`` for the i-th input array), ``pred_label`` (int), ``pred_class`` (str), ``scores``
            (``{name: float}``, higher = more known), ``known`` (bool: the first score ``>=`` its threshold; None
            without thresholds) and ``logits`` ([C] float32).

        Raises:
            FileNotFoundError: A path that is neither a file nor a folder.
            ValueError: No images (e.g. an empty folder), an array that is not an uint8 image.
        """
        items = list_inputs(inputs)
        logits, features = [], []
        with torch.no_grad():
            for start in range(0, len(items), self.batch_size):
                batch = self._collate([self._pipeline(self._load_input(item))
                                       for _, item in items[start:start + self.batch_size]])
                for sample in self.model.test_step(batch):
                    logits.append(sample.pred_logits.float().cpu().numpy())
                    if self._keep_features:
                        features.append(sample.pred_features.float().cpu().numpy())
        bank = FeatureBank(features=np.stack(features) if features else None, logits=np.stack(logits))
        if bank.logits.shape[1] != len(self.classes):
            raise ValueError(f'The model predicts {bank.logits.shape[1]} classes but the checkpoint names '
                             f'{len(self.classes)}: {list(self.classes)}.')
        scores = {name: score.score(bank) for name, score in self._scorer.scores.items()}
        decision = self.score_names[0]
        results = []
        for row, (name, _) in enumerate(items):
            label = int(bank.logits[row].argmax())
            values = {score: float(scores[score][row]) for score in self.score_names}
            known = bool(values[decision] >= self.thresholds[decision]) if self.thresholds else None
            results.append(dict(input=name, pred_label=label, pred_class=self.classes[label], scores=values,
                                known=known, logits=bank.logits[row]))
        return results


class InferenceScores(OpenSetScoreMetric):
    """The scores of an :class:`OpenSetInferencer`: built (:func:`~openmixosr.evaluation.metrics.open_set.build_scores`)
    and fitted (:func:`~openmixosr.evaluation.score_fitting.fit_metric_scores`, score cache included) exactly as the
    metrics of ``tools/test.py`` build and fit theirs. It is never part of an evaluator and computes no metrics.

    Args:
        scores (Sequence[str | dict]): Names or configs of ``OPEN_SET_SCORES``.
    """
    default_prefix = 'inference'

    def __init__(self, scores: Sequence[Union[str, dict]]) -> None:
        super().__init__(scores=scores)

    def compute_metrics(self, results: list) -> dict:
        raise TypeError('InferenceScores computes no metrics: OpenSetInferencer calls its scores directly.')


def prepare_config(cfg: Config, cfg_options: Optional[dict] = None) -> Config:
    """The config as ``tools/test.py`` tests a checkpoint with it (and so with the same score-cache key).

    ``cfg_options`` are merged as every tool merges them (:func:`~openmixosr.utils.config.merge_cfg_options`);
    ``load_cfg`` becomes a plain dict; a distiller's ``teacher_checkpoint`` is not read (its checkpoint holds the
    teacher).

    Returns:
        Config: ``cfg``, modified in place.
    """
    merge_cfg_options(cfg, cfg_options)
    cfg.load_cfg = dict(cfg.get('load_cfg') or {})
    if cfg.model.get('teacher_checkpoint'):
        cfg.model.teacher_checkpoint = None
    return cfg


def list_inputs(inputs: InputsType) -> List[tuple]:
    """``(name, image)`` of every input: a folder gives its image files, an array is named ``array[i]``.

    Raises:
        FileNotFoundError: A path that is neither a file nor a folder.
        ValueError: No images at all, or a folder without image files.
    """
    if isinstance(inputs, (str, os.PathLike, np.ndarray)):
        inputs = [inputs]
    items, arrays = [], 0
    for item in inputs:
        if isinstance(item, np.ndarray):
            items.append((f'array[{arrays}]', item))
            arrays += 1
            continue
        path = os.fspath(item)
        if osp.isdir(path):
            files = image_files(path)
            if not files:
                raise ValueError(f'The folder {path} holds no image files ({", ".join(IMAGE_EXTENSIONS)}; '
                                 'sub-folders are not searched).')
            items += [(file, file) for file in files]
        elif osp.isfile(path):
            items.append((path, path))
        else:
            raise FileNotFoundError(f'No such image file or folder: {path}')
    if not items:
        raise ValueError('No images to predict: give image files, arrays or a folder.')
    return items


def image_array(image: np.ndarray) -> np.ndarray:
    """An input array as ``H x W x 3`` uint8 (a gray ``H x W`` or ``H x W x 1`` image repeated on 3 channels).

    Raises:
        ValueError: Another dtype or shape.
    """
    if image.dtype != np.uint8:
        raise ValueError(f'Image arrays must be uint8 (0..255), got {image.dtype}; convert with '
                         '`np.clip(x * 255, 0, 255).astype(np.uint8)` for images in [0, 1].')
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[-1] not in (1, 3):
        raise ValueError(f'Image arrays must be H x W x 3 (RGB) or H x W (gray), got shape {image.shape}.')
    return np.ascontiguousarray(np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image)


def load_input(image: ImageInput, decoder: Optional[LoadImageFromFile]) -> dict:
    """The results dict of one input as the test pipeline's loading step leaves it (``img``, ``img_shape``,
    ``ori_shape``).

    With a ``decoder`` (the config's loading transform: files decode to BGR), a file goes through it and an RGB array
    is turned to BGR. Without one (array-backed data, stored RGB), a file is decoded by ``StrictLoadImageFromFile``
    and turned to RGB, and an array is kept.
    """
    if isinstance(image, np.ndarray):
        img = image_array(image)
        if decoder is not None:
            img = np.ascontiguousarray(img[..., ::-1])
        return dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2])
    if decoder is not None:
        return decoder(dict(img_path=image))
    results = StrictLoadImageFromFile()(dict(img_path=image))
    results['img'] = np.ascontiguousarray(image_array(results['img'])[..., ::-1])
    return results
