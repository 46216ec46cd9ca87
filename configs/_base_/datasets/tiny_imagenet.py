# Tiny-ImageNet, closed set (all 200 classes, validation set as test set): the classification benchmark of
# AutoMix / AMix. 64x64, RandomResizedCrop + flip, batch 100.
_base_ = ['./closed_set_common.py']
num_classes = 200
data_root = 'data/tiny-imagenet-200'

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[122.45, 114.27, 101.36],  # Tiny-ImageNet train statistics, RGB
    std=[58.70, 57.76, 57.68],
    to_rgb=True)  # StrictLoadImageFromFile decodes as BGR

train_pipeline = [
    dict(type='StrictLoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=64),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='StrictLoadImageFromFile'), dict(type='PackInputs')]

train_dataloader = dict(dataset=dict(type='TinyImageNet', data_root=data_root, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type='TinyImageNet', data_root=data_root, split='val', pipeline=test_pipeline, test_mode=True))
test_dataloader = val_dataloader
