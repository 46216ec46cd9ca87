# Self-supervised pre-training on the embedded digits: the training images of the known classes of the MNIST open-set
# split (labels unused), upscaled to 16x16, two views per image. The views keep MoCo v2's recipe where it suits
# gray 16x16 digits: RandomResizedCrop 0.5-1 (0.2 leaves too little of an 8x8 digit), brightness/contrast jitter
# p 0.8; no flips (digits are not mirror-symmetric), no hue/saturation (gray), no blur (already 2x upscaled).
split = 0
dataset_type = 'OpenSetDataset'

data_preprocessor = dict(
    type='SelfSupDataPreprocessor',
    mean=[77.85, 77.85, 77.85],  # statistics of all 1,797 digits scaled to 0..255, same on the 3 channels
    std=[95.85, 95.85, 95.85],
    to_rgb=False)

view_pipeline = [
    dict(type='RandomResizedCrop', scale=16, crop_ratio_range=(0.5, 1.0), backend='pillow'),
    dict(type='RandomApply', transforms=[dict(type='HueSafeColorJitter', brightness=0.4, contrast=0.4)], prob=0.8),
]
train_pipeline = [
    dict(type='Resize', scale=16),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]

# drop_last: MoCo's queue length must be a multiple of the batch size. In-memory and tiny: no worker processes.
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        source=dict(type='Digits', split='train'),
        benchmark='mnist',
        osr_split=split,
        pipeline=train_pipeline))
