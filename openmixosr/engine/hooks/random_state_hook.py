"""Save and restore the random number generators so that a resumed run repeats the uninterrupted one."""
import random

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.runner import IterBasedTrainLoop

from openmixosr.registry import HOOKS


def get_random_state() -> dict:
    """The states of Python's, numpy's and torch's global generators and, where CUDA is present, of the generator of
    this process's GPU (``torch.cuda.current_device()``: every draw on the GPU of this process, e.g. a
    ``torch.randperm(n, device=x.device)`` pairing, comes from it).

    Only the current GPU's generator is kept, not those of every visible GPU (``get_rng_state_all``): a process draws
    on its own GPU only (one process per GPU under ``tools/dist_train.sh``), and a checkpoint holding the generators of
    8 visible GPUs could not be resumed where fewer are visible.
    """
    name, keys, pos, has_gauss, cached_gaussian = np.random.get_state()
    state = dict(
        python=random.getstate(),
        numpy=(name, keys, pos, has_gauss, cached_gaussian),
        torch=torch.get_rng_state(),
    )
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state()
    return state


def set_random_state(state: dict) -> None:
    """Inverse of :func:`get_random_state`; the GPU generator is restored where both the state and CUDA have one."""
    random.setstate(state['python'])
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state['cuda'])


@HOOKS.register_module()
class RandomStateHook(Hook):
    """Store every rank's generator states in the checkpoint, restore them on resume, and shield them from validation.

    MMEngine re-seeds from the config seed when a run resumes, so random augmentations after the resume would differ
    from those of the uninterrupted run. With this hook they do not: resuming from epoch N continues exactly as if the
    run had never stopped (on the same number of processes). Validation draws random numbers too (every DataLoader
    iterator draws a seed), and the uninterrupted run validates after the checkpoint is written; so the hook puts the
    generators back after each validation, which also makes training independent of how often it is validated.

    Only rank 0 writes checkpoints, so the states of all ranks are gathered at the end of every epoch (every
    iteration for iteration-based loops), where all ranks meet, just before ``CheckpointHook`` runs. On GPUs each
    rank's state includes its GPU's generator (:func:`get_random_state`). A GPU run also repeats bit for bit only with
    deterministic kernels (``randomness.deterministic=True``, docs/gpu.md); the generators are restored either way.
    """

    priority = 'LOW'  # before CheckpointHook (VERY_LOW) in the after_train_* stages

    def __init__(self) -> None:
        self._state_before_val = None
        self._gathered_states = None

    def _gather(self) -> None:
        self._gathered_states = all_gather_object(get_random_state())

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if isinstance(runner.train_loop, IterBasedTrainLoop):
            self._gather()

    def after_train_epoch(self, runner) -> None:
        self._gather()

    def before_val_epoch(self, runner) -> None:
        self._state_before_val = get_random_state()

    def after_val_epoch(self, runner, metrics=None) -> None:
        set_random_state(self._state_before_val)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['random_state'] = self._gathered_states or [get_random_state()]

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # Only a resumed run continues the generators of the checkpoint's run. OpenMixOSRRunner tells a resume from
        # `load_from` and tools/test.py (`runner.resuming`); with MMEngine's Runner every load counts as a resume.
        if not getattr(runner, 'resuming', True):
            return
        states = checkpoint.get('random_state')
        if not states:
            runner.logger.warning('The checkpoint holds no random state; the resumed run uses fresh generators.')
            return
        if len(states) != get_world_size():
            runner.logger.warning(f'The checkpoint holds random states of {len(states)} processes but this run has '
                                  f'{get_world_size()}; the resumed run uses fresh generators.')
            return
        state = states[get_rank()]
        if ('cuda' in state) != torch.cuda.is_available():
            runner.logger.warning(
                f'The checkpoint was written {"on a GPU" if "cuda" in state else "without a GPU"} and this run '
                f'{"has none" if "cuda" in state else "has one"}: the draws made on the GPU (pairings, masks) come '
                'from another generator, so the resumed run does not repeat the uninterrupted one exactly.')
        set_random_state(state)
