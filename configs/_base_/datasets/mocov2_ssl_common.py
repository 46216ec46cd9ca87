# MoCo v2's pre-training data recipe, shared by the STL-10 and Tiny-ImageNet pre-training configs: two views per image,
# each a RandomResizedCrop 0.2-1 followed by `mocov2_view_augments` (colour jitter p 0.8, grayscale p 0.2, Gaussian
# blur p 0.5, flip), batches of 256 with whole batches only (MoCo's queue length must be a multiple of the global
# batch size). A config that inherits it states data_preprocessor = dict(mean=..., std=..., to_rgb=...), the view
# pipeline with its crop size, e.g. `[dict(type='RandomResizedCrop', scale=96, ...), *_base_.mocov2_view_augments]`,
# `train_pipeline` and the dataset of train_dataloader (`pipeline=` included).
# Loading is set up for a GPU as in open_set_common.py (docs/gpu.md), with 8 workers for the two augmented views.
data_preprocessor = dict(type='SelfSupDataPreprocessor', non_blocking=True)

mocov2_view_augments = [
    dict(
        type='RandomApply',
        transforms=[dict(type='HueSafeColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)],
        prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]

train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    drop_last=True,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'))
