# STL-10 self-supervised pre-training: the 100,000 unlabeled + 5,000 labelled training images at 96x96, two MoCo v2
# views per image (mocov2_ssl_common.py).
_base_ = ['./mocov2_ssl_common.py']
data_root = 'data/stl10/stl10_binary'

data_preprocessor = dict(
    mean=[113.91, 112.15, 103.69],  # the usual STL-10 statistics (0.4467, 0.4398, 0.4066) x 255, RGB
    std=[66.38, 65.43, 69.18],
    to_rgb=False)  # the binary files are RGB already

view_pipeline = [
    dict(type='RandomResizedCrop', scale=96, crop_ratio_range=(0.2, 1.0), backend='pillow'),
    *_base_.mocov2_view_augments,
]
train_pipeline = [
    dict(type='MultiView', num_views=2, transforms=[view_pipeline]),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    dataset=dict(type='STL10', data_root=data_root, split='train+unlabeled', pipeline=train_pipeline))
