# Tiny-ImageNet open-set benchmark: 20 known classes per published split (indices into the sorted wnids); the other
# 180 classes of the validation set (the labelled "test" set of the literature) are unknown (-1).
_base_ = ['./open_set_benchmark_common.py']
num_classes = 20
data_root = 'data/tiny-imagenet-200'

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[122.45, 114.27, 101.36],  # Tiny-ImageNet train statistics, RGB
    std=[58.70, 57.76, 57.68],
    # StrictLoadImageFromFile decodes JPEGs as BGR; flip to RGB before normalising (the array-backed sets are RGB
    # already).
    to_rgb=True)

train_pipeline = [
    dict(type='StrictLoadImageFromFile'),
    dict(type='RandomCrop', crop_size=64, padding=8),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='StrictLoadImageFromFile'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    dataset=dict(source=dict(type='TinyImageNet', data_root=data_root, split='train'), benchmark='tiny_imagenet',
                 pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(source=dict(type='TinyImageNet', data_root=data_root, split='val'), benchmark='tiny_imagenet',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
