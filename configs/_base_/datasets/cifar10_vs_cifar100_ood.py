# Out-of-distribution pair: all 10 CIFAR-10 classes are known (labels 0..9 as in CIFAR-10), every CIFAR-100 test image
# is unknown (-1). There is no published class split here, hence no `split` / `osr_split`.
_base_ = ['./open_set_common.py']
num_classes = 10
data_root = 'data/cifar10'
unknown_data_root = 'data/cifar100'

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[125.307, 122.961, 113.8575],  # CIFAR-10 train statistics, RGB
    std=[51.5865, 50.847, 51.255])

train_pipeline = [
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    dataset=dict(source=dict(type='OfflineCIFAR10', data_root=data_root, split='train'), pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        source=dict(type='OfflineCIFAR10', data_root=data_root, split='test'),
        unknown_source=dict(type='OfflineCIFAR100', data_root=unknown_data_root, split='test'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
