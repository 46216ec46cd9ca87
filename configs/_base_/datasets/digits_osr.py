# scikit-learn digits with the MNIST open-set splits: the embedded quick-start, nothing to download or place on disk.
# 1,797 real 8x8 digits, cut deterministically into train (1,258) and test (539); upscaled to 16x16. No flips.
_base_ = ['./open_set_benchmark_common.py']
num_classes = 6

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[77.85, 77.85, 77.85],  # statistics of all 1,797 digits scaled to 0..255, same on the 3 channels
    std=[95.85, 95.85, 95.85])

train_pipeline = [
    dict(type='Resize', scale=16),
    dict(type='RandomCrop', crop_size=16, padding=2),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='Resize', scale=16),
    dict(type='PackInputs'),
]

# In-memory and tiny: worker processes would cost more than they save; sized for the CPU (no pinned memory).
train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    pin_memory=False,
    dataset=dict(source=dict(type='Digits', split='train'), benchmark='mnist', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128,
    num_workers=0,
    persistent_workers=False,
    pin_memory=False,
    dataset=dict(source=dict(type='Digits', split='test'), benchmark='mnist', pipeline=test_pipeline))
test_dataloader = val_dataloader
