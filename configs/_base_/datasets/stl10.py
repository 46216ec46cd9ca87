# STL-10 linear evaluation: the 5,000 labelled training images (10 classes) at 96x96 with crop + flip, tested on the
# 8,000 test images. Batch 256.
_base_ = ['./closed_set_common.py']
num_classes = 10
data_root = 'data/stl10/stl10_binary'

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[113.91, 112.15, 103.69],  # the usual STL-10 statistics (0.4467, 0.4398, 0.4066) x 255, RGB
    std=[66.38, 65.43, 69.18])  # to_rgb=False: the binary files are RGB already

train_pipeline = [
    dict(type='RandomResizedCrop', scale=96, backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=256,
    num_workers=4,  # pin_memory, persistent workers and non-blocking copies: closed_set_common.py
    dataset=dict(type='STL10', data_root=data_root, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=256,
    num_workers=4,
    dataset=dict(type='STL10', data_root=data_root, split='test', pipeline=test_pipeline, test_mode=True))
test_dataloader = val_dataloader
