# SVHN open-set benchmark: 6 known digits per published split; the other 4 digits of the test set are unknown (-1).
# Labels are digits (the file's 10 is read as 0). No flips: digits are not mirror symmetric.
split = 0
num_classes = 6
dataset_type = 'OpenSetDataset'
data_root = 'data/svhn'

data_preprocessor = dict(
    type='OpenSetDataPreprocessor',
    num_classes=num_classes,
    mean=[111.61, 113.17, 120.56],  # SVHN train statistics, RGB
    std=[50.50, 51.26, 50.24],
    to_rgb=False)

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
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
        source=dict(type='SVHN', data_root=data_root, split='train'),
        benchmark='svhn',
        osr_split=split,
        pipeline=train_pipeline))

val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        source=dict(type='SVHN', data_root=data_root, split='test'),
        benchmark='svhn',
        osr_split=split,
        with_unknown=True,
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='OpenSetEvaluator')
test_evaluator = val_evaluator
