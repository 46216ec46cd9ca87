# CIFAR-10 open-set benchmark: 6 known classes per published split (Neal et al. 2018; docs/datasets.md, Method
# reference); at test time the other 4 CIFAR-10 classes of the test set are unknown (label -1). Select a split with
# `--cfg-options split=3`.
split = 0
num_classes = 6
dataset_type = 'OpenSetDataset'
data_root = 'data/cifar10'

data_preprocessor = dict(
    type='OpenSetDataPreprocessor',
    num_classes=num_classes,
    mean=[125.307, 122.961, 113.8575],  # CIFAR-10 train statistics, RGB (the arrays are RGB)
    std=[51.5865, 50.847, 51.255],
    to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        source=dict(type='CIFAR10', data_root=data_root, split='train'),
        benchmark='cifar10',
        osr_split=split,
        pipeline=train_pipeline))

val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        source=dict(type='CIFAR10', data_root=data_root, split='test'),
        benchmark='cifar10',
        osr_split=split,
        with_unknown=True,
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='OpenSetEvaluator')
test_evaluator = val_evaluator
