# MNIST open-set benchmark: 6 known digits per published split; the other 4 digits of the test set are unknown (-1).
# The 28x28 gray digits are read as 3 equal channels and resized to 32x32 for the CIFAR-sized backbones.
# Needs the four official idx files; `mnist_test_files_osr.py` runs the same benchmark on the t10k files only.
split = 0
num_classes = 6
dataset_type = 'OpenSetDataset'
data_root = 'data/mnist'

data_preprocessor = dict(
    type='OpenSetDataPreprocessor',
    num_classes=num_classes,
    mean=[33.32, 33.32, 33.32],  # MNIST train statistics (0.1307, 0.3081) x 255, same on the 3 channels
    std=[78.57, 78.57, 78.57],
    to_rgb=False)

train_pipeline = [
    dict(type='Resize', scale=32),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='Resize', scale=32),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        source=dict(type='MNIST', data_root=data_root, split='train'),
        benchmark='mnist',
        osr_split=split,
        pipeline=train_pipeline))

val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        source=dict(type='MNIST', data_root=data_root, split='test'),
        benchmark='mnist',
        osr_split=split,
        with_unknown=True,
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='OpenSetEvaluator')
test_evaluator = val_evaluator
