"""What ``tools/train.py --run-record`` leaves in a work dir, written without training (for run-queue tests)."""
import json
import os
import os.path as osp

from openmixosr.utils.provenance import device_description
from openmixosr.utils.run_record import config_digest, current_code, merged_config

LOG_DIR = '20260101_000000'


def write_attempt(run, metrics, epochs: int = 1, validated_epochs=None, log_dir: str = LOG_DIR,
                  checkpoint_text: str = '', **overrides) -> None:
    """The attempt's log (``log_dir/vis_data/scalars.json``), its run record (``run.record_path``), a checkpoint
    (whose content is ``checkpoint_text`` and the run's work dir) and ``last_checkpoint``, as a run of ``epochs``
    epochs validating at ``validated_epochs`` (default: the last one) with ``metrics`` would leave them.
    ``overrides`` replace fields of the run record (``seed=5``...)."""
    validated_epochs = [epochs] if validated_epochs is None else validated_epochs
    os.makedirs(osp.join(run.work_dir, log_dir, 'vis_data'), exist_ok=True)
    validations = [dict(epoch=epoch, metrics=dict(metrics)) for epoch in validated_epochs]
    with open(osp.join(run.work_dir, log_dir, 'vis_data', 'scalars.json'), 'w') as file:
        for epoch in range(1, epochs + 1):
            file.write(json.dumps({'loss': 1.0 / epoch, 'epoch': epoch, 'iter': epoch, 'step': epoch}) + '\n')
            if epoch in validated_epochs:
                file.write(json.dumps({**metrics, 'step': epoch}) + '\n')
    batch = merged_config(run.config, run.options).train_dataloader.batch_size
    record = dict(format=1, validations=validations, max_epochs=epochs, log_dir=log_dir,
                  config_digest=config_digest(run.config), seed=run.seed, world_size=run.world_size,
                  total_batch=run.world_size * batch,
                  provenance=dict(current_code(), device=device_description('cpu'), threads=1))
    record.update(overrides)
    with open(run.record_path, 'w') as file:
        json.dump(record, file)
    checkpoint = osp.join(run.work_dir, f'epoch_{epochs}.pth')
    with open(checkpoint, 'w') as file:
        file.write(f'weights of {run.work_dir} {checkpoint_text}')
    with open(osp.join(run.work_dir, 'last_checkpoint'), 'w') as file:
        file.write(checkpoint)


def write_config(directory, name: str, batch_size: int = 4, **top_level) -> str:
    """A minimal config file the run queue can identify (a model type and a training batch size)."""
    path = osp.join(str(directory), name)
    lines = [f"model = dict(type='{name}')", f'train_dataloader = dict(batch_size={batch_size})']
    lines += [f'{key} = {value!r}' for key, value in top_level.items()]
    with open(path, 'w') as file:
        file.write('\n'.join(lines) + '\n')
    return path
