# CIFAR-100, closed set (all 100 classes): the classification benchmark of AutoMix / AMix. Batch 100 as in the papers.
_base_ = ['./closed_set_common.py']
num_classes = 100
data_root = 'data/cifar100'

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[129.304, 124.070, 112.434],  # CIFAR-100 train statistics, RGB
    std=[68.170, 65.392, 70.418])

# AMix Sec. 4.1: "RandomFlip and RandomCrop with 4 pixels reflect padding" (also the authors' OpenMixup pipeline).
# PaddingModeRandomCrop: mmpretrain 1.2.0's RandomCrop pads `padding` with zeros whatever `padding_mode` says.
train_pipeline = [
    dict(type='PaddingModeRandomCrop', crop_size=32, padding=4, padding_mode='reflect'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    dataset=dict(type='OfflineCIFAR100', data_root=data_root, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(type='OfflineCIFAR100', data_root=data_root, split='test', pipeline=test_pipeline, test_mode=True))
test_dataloader = val_dataloader
