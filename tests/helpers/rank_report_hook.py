"""A test-only hook: each rank writes its validation metrics and fingerprints of its model to the work dir."""
import hashlib
import json
import os.path as osp

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from openmixosr.registry import HOOKS


def _digest(tensors) -> str:
    sha = hashlib.sha256()
    for tensor in tensors:
        sha.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return sha.hexdigest()


@HOOKS.register_module()
class RankReportHook(Hook):
    """Write ``rank{R}.json`` after every validation and at the end of training.

    The report holds the last validation metrics (empty without validation), the sum of the model parameters
    (``checksum``), a SHA-256 of all parameters (``param_digest``: bit-identical replicas have the same one) and, for
    every buffer named in ``buffers``, its shape, digest, min and max (and the smallest row norm of a 2-D buffer).

    Args:
        buffers (Sequence[str]): Names of model buffers to report, e.g. ``['memory', 'pseudo_labels']``.
    """

    def __init__(self, buffers=()):
        self.buffers = tuple(buffers)
        self.metrics = {}

    def after_val_epoch(self, runner, metrics=None):
        self.metrics = {key: float(value) for key, value in (metrics or {}).items()}
        self._write(runner)

    def after_train(self, runner):
        self._write(runner)

    def _write(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        params = list(model.parameters())
        report = dict(metrics=self.metrics,
                      checksum=float(sum(param.detach().double().sum() for param in params)),
                      param_digest=_digest(params),
                      buffers={})
        named = dict(model.named_buffers())
        for name in self.buffers:
            buffer = named[name]
            info = dict(shape=list(buffer.shape), digest=_digest([buffer]))
            if buffer.numel():
                info.update(min=float(buffer.min()), max=float(buffer.max()))
                if buffer.dim() == 2:
                    info['min_row_norm'] = float(buffer.double().norm(dim=1).min())
            report['buffers'][name] = info
        with open(osp.join(runner.work_dir, f'rank{get_rank()}.json'), 'w') as file:
            json.dump(report, file)
