# Out-of-distribution pair: all 10 CIFAR-10 classes are known (labels 0..9 as in CIFAR-10), every CIFAR-100 test image
# is unknown (-1). There is no published class split here, hence no `split` / `osr_split`.
num_classes = 10
dataset_type = 'OpenSetDataset'
data_root = 'data/cifar10'
unknown_data_root = 'data/cifar100'

data_preprocessor = dict(
    type='OpenSetDataPreprocessor',
    num_classes=num_classes,
    mean=[125.307, 122.961, 113.8575],  # CIFAR-10 train statistics, RGB
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
        pipeline=train_pipeline))

val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        source=dict(type='CIFAR10', data_root=data_root, split='test'),
        unknown_source=dict(type='CIFAR100', data_root=unknown_data_root, split='test'),
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='OpenSetEvaluator')
test_evaluator = val_evaluator
