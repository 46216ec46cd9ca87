"""Write what a finished training run produced and what produced it, for the table tools."""
import json
import numbers
import os
import os.path as osp
from typing import List, Optional

import torch
from mmengine.dist import get_world_size, is_main_process
from mmengine.hooks import Hook

from openmixosr.registry import HOOKS
from openmixosr.utils.provenance import code_version, device_description, library_versions

#: Version of the record's layout (``format``), checked by its reader.
RUN_RECORD_FORMAT = 1


def write_json_atomically(path: str, content: dict) -> None:
    """Write ``content`` as JSON to ``path`` through a temporary file and ``os.replace``: a process stopped while
    writing leaves the old file or none, never half a file."""
    temporary = f'{path}.{os.getpid()}.tmp'
    with open(temporary, 'w') as file:
        json.dump(content, file, indent=1, sort_keys=True)
    os.replace(temporary, path)


@HOOKS.register_module()
class RunRecordHook(Hook):
    """At the end of a training run, write ``out_file``: the run's validations and its provenance.

    ``tools/train.py --run-record PATH`` adds it (``default_hooks.run_record``); the run queue
    (:mod:`openmixosr.utils.run_queue`) launches every run so and reads the record of the attempt it launched, never
    a log it has to find. The record (JSON, written by the main process only, atomically):

    - ``validations``: ``[{'epoch': e, 'metrics': {...}}]``, every validation of this attempt in order, with the
      metrics MMEngine's evaluator returned (the same values the attempt's log holds, ``log_dir/vis_data/scalars.json``
      with ``step == e``, against which the queue checks them later);
    - ``max_epochs`` (the last validation must be at the last epoch) and ``log_dir`` (relative to the work dir);
    - ``config_digest`` (given by the tool: the digest of the config it loaded when the run started), ``seed``,
      ``world_size``, ``total_batch`` (``world_size x train_dataloader.batch_size``);
    - ``provenance``: ``code`` (:func:`~openmixosr.utils.provenance.code_version`), ``libraries``, ``device``,
      ``threads`` (torch threads per process: float sums depend on it).

    Nothing is written when training does not end (an error, a non-finite loss, a kill).

    Args:
        out_file (str): Where to write the record.
        config_digest (str): The digest of the run's config (:func:`~openmixosr.utils.run_record.config_digest`).
    """

    priority = 'VERY_LOW'

    def __init__(self, out_file: str, config_digest: str) -> None:
        self.out_file = out_file
        self.config_digest = config_digest
        self._validations: List[dict] = []
        self._training = False

    def before_train(self, runner) -> None:
        self._training = True

    def after_val_epoch(self, runner, metrics: Optional[dict] = None) -> None:
        if not self._training:
            return  # a validation outside training (runner.val())
        scalars = {key: float(value) for key, value in (metrics or {}).items()
                   if isinstance(value, numbers.Real) and not isinstance(value, bool)}
        self._validations.append(dict(epoch=int(runner.epoch), metrics=scalars))

    def after_train(self, runner) -> None:
        self._training = False
        if not is_main_process():
            return
        world_size = get_world_size()
        device = next(iter(runner.model.parameters()), torch.empty(0)).device
        record = dict(
            format=RUN_RECORD_FORMAT,
            validations=self._validations,
            max_epochs=int(runner.max_epochs),
            log_dir=osp.relpath(runner.log_dir, runner.work_dir),
            config_digest=self.config_digest,
            seed=runner.seed,
            world_size=world_size,
            total_batch=world_size * int(runner.train_dataloader.batch_size),
            provenance=dict(code=code_version(), libraries=library_versions(), device=device_description(device),
                            threads=torch.get_num_threads()))
        os.makedirs(osp.dirname(osp.abspath(self.out_file)), exist_ok=True)
        write_json_atomically(self.out_file, record)
