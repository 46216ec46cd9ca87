# scikit-learn digits with the MNIST open-set splits: the embedded quick-start, nothing to download or place on disk.
# 1,797 real 8x8 digits, cut deterministically into train (1,258) and test (539); upscaled to 16x16. No flips.
split = 0
num_classes = 6
dataset_type = 'OpenSetDataset'

data_preprocessor = dict(
    type='OpenSetDataPreprocessor',
    num_classes=num_classes,
    mean=[77.85, 77.85, 77.85],  # statistics of all 1,797 digits scaled to 0..255, same on the 3 channels
    std=[95.85, 95.85, 95.85],
    to_rgb=False)

train_pipeline = [
    dict(type='Resize', scale=16),
    dict(type='RandomCrop', crop_size=16, padding=2),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='Resize', scale=16),
    dict(type='PackInputs'),
]

# In-memory and tiny: worker processes would cost more than they save.
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        source=dict(type='Digits', split='train'),
        benchmark='mnist',
        osr_split=split,
        pipeline=train_pipeline))

val_dataloader = dict(
    batch_size=128,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        source=dict(type='Digits', split='test'),
        benchmark='mnist',
        osr_split=split,
        with_unknown=True,
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='OpenSetEvaluator')
test_evaluator = val_evaluator
