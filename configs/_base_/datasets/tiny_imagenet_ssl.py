# Tiny-ImageNet self-supervised pre-training: the 100,000 training images at 64x64 (labels unused), two MoCo v2
# views per image (RandomResizedCrop 0.2-1, colour jitter p 0.8, grayscale p 0.2, Gaussian blur p 0.5, flip).
data_root = 'data/tiny-imagenet-200'

data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[122.45, 114.27, 101.36],  # Tiny-ImageNet train statistics, RGB
    std=[58.70, 57.76, 57.68],
    to_rgb=True)  # LoadImageFromFile decodes as BGR

view_pipeline = [
    dict(type='RandomResizedCrop', scale=64, crop_ratio_range=(0.2, 1.0), backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)],
        prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]

# drop_last: MoCo's queue length must be a multiple of the (global) batch size.
train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    drop_last=True,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='TinyImageNet', data_root=data_root, split='train', pipeline=train_pipeline))
