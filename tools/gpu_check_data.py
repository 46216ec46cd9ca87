"""The data of ``tools/gpu_check.py``: random images at a config's resolution, made on the fly, no files.

The configs that gpu_check derives import this module (``custom_imports=dict(imports=['gpu_check_data'])``); the
tools run with ``tools/`` first on ``sys.path``, so ``tools/train.py``, ``tools/test.py`` and ``tools/dist_train.sh``
find it.
"""
from typing import Optional, Sequence

import numpy as np
from mmpretrain.datasets import BaseDataset

from openmixosr.registry import DATASETS

UNKNOWN_LABEL = -1


@DATASETS.register_module()
class GPUCheckImages(BaseDataset):
    """``num_samples`` random RGB images of ``image_size`` x ``image_size`` (uint8 ``img``, as the in-memory sources
    give them), labelled ``0, 1, ..., num_classes - 1, 0, ...``; every ``unknown_every``-th sample is an unknown one
    (label -1; with ``unknown_sets`` it names them in turn in ``unknown_set``, known samples naming ``''``). An image
    is made from its index when it is loaded, so a dataset of 448 px images costs no memory.

    Args:
        num_classes (int): Known classes (``metainfo.classes`` = ``c0``, ``c1``, ...).
        num_samples (int): Samples.
        image_size (int): Height and width.
        unknown_every (int): Every this-th sample is unknown (0: none, a training set). Defaults to 0.
        unknown_sets (Sequence[str], optional): Names of the unknown sets (the Semantic Shift Benchmark's
            ``('easy', 'hard')``). Defaults to None.
        seed (int): Seed of the images. Defaults to 0.
        pipeline (Sequence): Processing pipeline. Defaults to ().
        test_mode (bool): Defaults to False.
    """

    def __init__(self, num_classes: int, num_samples: int, image_size: int, unknown_every: int = 0,
                 unknown_sets: Optional[Sequence[str]] = None, seed: int = 0, pipeline: Sequence = (),
                 test_mode: bool = False):
        self.num_classes, self.num_samples, self.image_size = num_classes, num_samples, image_size
        self.unknown_every, self.unknown_sets, self.seed = unknown_every, tuple(unknown_sets or ()), seed
        super().__init__(ann_file='', metainfo=dict(classes=tuple(f'c{i}' for i in range(num_classes))),
                         pipeline=pipeline, test_mode=test_mode, serialize_data=False)

    def load_data_list(self):
        infos, known = [], 0
        for index in range(self.num_samples):
            if self.unknown_every and index % self.unknown_every == self.unknown_every - 1:
                unknown = index // self.unknown_every
                info = dict(gt_label=UNKNOWN_LABEL)
                if self.unknown_sets:
                    info['unknown_set'] = self.unknown_sets[unknown % len(self.unknown_sets)]
            else:
                info = dict(gt_label=known % self.num_classes)
                known += 1
                if self.unknown_sets:
                    info['unknown_set'] = ''
            infos.append(info)
        return infos

    def prepare_data(self, idx: int):
        info = self.get_data_info(idx)
        generator = np.random.default_rng([self.seed, idx])
        info['img'] = generator.integers(0, 256, (self.image_size, self.image_size, 3), dtype=np.uint8)
        info['img_shape'] = info['ori_shape'] = (self.image_size, self.image_size)
        return self.pipeline(info)
