# Tiny-ImageNet self-supervised pre-training: the 100,000 training images at 64x64 (labels unused), two MoCo v2
# views per image (mocov2_ssl_common.py).
_base_ = ['./mocov2_ssl_common.py']
data_root = 'data/tiny-imagenet-200'

data_preprocessor = dict(
    mean=[122.45, 114.27, 101.36],  # Tiny-ImageNet train statistics, RGB
    std=[58.70, 57.76, 57.68],
    to_rgb=True)  # StrictLoadImageFromFile decodes as BGR

view_pipeline = [
    dict(type='RandomResizedCrop', scale=64, crop_ratio_range=(0.2, 1.0), backend='pillow'),
    *_base_.mocov2_view_augments,
]
train_pipeline = [
    dict(type='StrictLoadImageFromFile'),
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]

train_dataloader = dict(dataset=dict(type='TinyImageNet', data_root=data_root, split='train', pipeline=train_pipeline))
