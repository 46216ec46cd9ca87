# STL-10 self-supervised pre-training: the 100,000 unlabeled + 5,000 labelled training images at 96x96, two MoCo v2
# views per image (RandomResizedCrop 0.2-1, colour jitter p 0.8, grayscale p 0.2, Gaussian blur p 0.5, flip).
data_root = 'data/stl10/stl10_binary'

data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[113.91, 112.15, 103.69],  # the usual STL-10 statistics (0.4467, 0.4398, 0.4066) x 255, RGB
    std=[66.38, 65.43, 69.18],
    to_rgb=False)  # the binary files are RGB already

view_pipeline = [
    dict(type='RandomResizedCrop', scale=96, crop_ratio_range=(0.2, 1.0), backend='pillow'),
    dict(
        type='RandomApply',
        transforms=[dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1)],
        prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True, channel_weights=(0.114, 0.587, 0.2989)),
    dict(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=0.5),
    dict(type='RandomFlip', prob=0.5),
]
train_pipeline = [
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
    dataset=dict(type='STL10', data_root=data_root, split='train+unlabeled', pipeline=train_pipeline))
