# SVHN open-set benchmark: 6 known digits per published split; the other 4 digits of the test set are unknown (-1).
# Labels are digits (the file's 10 is read as 0). No flips: digits are not mirror symmetric.
_base_ = ['./open_set_benchmark_common.py']
num_classes = 6
data_root = 'data/svhn'

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[111.61, 113.17, 120.56],  # SVHN train statistics, RGB
    std=[50.50, 51.26, 50.24])

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    dataset=dict(source=dict(type='SVHN', data_root=data_root, split='train'), benchmark='svhn',
                 pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(source=dict(type='SVHN', data_root=data_root, split='test'), benchmark='svhn',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
