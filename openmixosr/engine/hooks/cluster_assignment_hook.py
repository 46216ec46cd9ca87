"""Pseudo labels of AMix-C: size the memory, fill it before training, re-run k-means every few epochs."""
import copy

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.utils import ProgressBar

from openmixosr.models.algorithms.moco_amix import MoCoAMixCluster
from openmixosr.registry import HOOKS
from .runner_model import runner_model


@HOOKS.register_module()
class ClusterAssignmentHook(Hook):
    """Online clustering for :class:`~openmixosr.models.MoCoAMixCluster` (AMix-C).

    - ``before_run``: size the model's memory to the training set (before a checkpoint is resumed into it);
    - ``before_train`` (unless resumed with pseudo labels): one pass of the momentum encoder over the training set,
      unshuffled and without dropping the last batch, fills the memory; k-means gives the first pseudo labels;
    - every ``interval`` epochs: k-means on the memory, which every training step refreshes with its keys.

    The memory, the pseudo labels and the centroids are buffers of the model, so checkpoints carry them and a resumed
    run goes on with the same assignment. k-means is seeded with ``seed + epoch``. ``MoCoAMixCluster`` lists this
    hook in its ``required_hooks``; the configs register it as ``default_hooks.cluster_assignment``.

    Args:
        interval (int): Epochs between two assignments. Defaults to 1.
        seed (int): Base seed of k-means. Defaults to 0.
    """

    priority = 'NORMAL'

    def __init__(self, interval: int = 1, seed: int = 0):
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.interval = interval
        self.seed = seed

    @staticmethod
    def _model(runner) -> MoCoAMixCluster:
        return runner_model(runner, MoCoAMixCluster, 'ClusterAssignmentHook')

    def before_run(self, runner) -> None:
        self._model(runner).init_memory(len(runner.train_dataloader.dataset))

    def before_train(self, runner) -> None:
        model = self._model(runner)
        if model.has_assignment:  # resumed
            return
        self._fill_memory(runner, model)
        self._assign(runner, model, epoch=0)

    def after_train_epoch(self, runner) -> None:
        if self.every_n_epochs(runner, self.interval):  # runner.epoch counts the finished epochs from here on
            self._assign(runner, self._model(runner), epoch=runner.epoch + 1)

    def _assign(self, runner, model, epoch: int) -> None:
        sizes = model.assign_clusters(self.seed + epoch)
        runner.logger.info(f'AMix-C pseudo labels after {epoch} epoch(s): {len(sizes)} clusters, sizes '
                           f'min {sizes.min()} / median {int(sorted(sizes)[len(sizes) // 2])} / max {sizes.max()}')

    @torch.no_grad()
    def _fill_memory(self, runner, model) -> None:
        """Keys of the key view of every training sample, from an unshuffled pass that keeps the last batch."""
        loader_cfg = copy.deepcopy(runner.cfg.train_dataloader)
        loader_cfg['sampler'] = dict(type='DefaultSampler', shuffle=False)
        loader_cfg.pop('batch_sampler', None)
        loader_cfg['drop_last'] = False
        loader = runner.build_dataloader(loader_cfg, seed=runner.seed)
        progress = ProgressBar(len(loader)) if is_main_process() else None
        for batch in loader:
            data = model.data_preprocessor(batch, True)
            _, view_k = model.views(data['inputs'])
            model.store(model.sample_indices(data['data_samples']), model.momentum_keys(view_k))
            if progress is not None:
                progress.update()
