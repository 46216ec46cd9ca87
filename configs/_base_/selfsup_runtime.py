# Runtime of self-supervised pre-training: no validation loop (the representation is judged by linear evaluation),
# checkpoints every 10 epochs.
_base_ = ['./default_runtime.py']
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook', interval=10, max_keep_ckpts=3))
