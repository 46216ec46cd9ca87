# CIFAR-10 open-set benchmark: 6 known classes per published split (Neal et al. 2018; docs/datasets.md, Method
# reference); at test time the other 4 CIFAR-10 classes of the test set are unknown (label -1). Select a split with
# `--cfg-options split=3`.
_base_ = ['./open_set_benchmark_common.py']
num_classes = 6
data_root = 'data/cifar10'

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[125.307, 122.961, 113.8575],  # CIFAR-10 train statistics, RGB (the arrays are RGB)
    std=[51.5865, 50.847, 51.255])

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    dataset=dict(
        source=dict(type='OfflineCIFAR10', data_root=data_root, split='train'),
        benchmark='cifar10',
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        source=dict(type='OfflineCIFAR10', data_root=data_root, split='test'),
        benchmark='cifar10',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
