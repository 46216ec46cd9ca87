"""A test-only hook: each rank writes its validation metrics and a parameter checksum to the work dir."""
import json
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from openmixosr.registry import HOOKS


@HOOKS.register_module()
class RankReportHook(Hook):
    """Write ``rank{R}.json`` with the last validation metrics and the sum of the model parameters."""

    def after_val_epoch(self, runner, metrics=None):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        checksum = float(sum(param.detach().double().sum() for param in model.parameters()))
        report = dict(metrics={key: float(value) for key, value in (metrics or {}).items()}, checksum=checksum)
        with open(osp.join(runner.work_dir, f'rank{get_rank()}.json'), 'w') as file:
            json.dump(report, file)
