# Semantic Shift Benchmark, FGVC-Aircraft: 50 known variants of 100, trained on trainval; AGC's RandAugment M=15
# and label smoothing 0.2 for FGVC-Aircraft.
# Images: data/fgvc-aircraft-2013b/ (the layout in docs/datasets.md); the class split ships with OpenMixOSR.
_base_ = ['./ssb_common.py']
num_classes = 50
data_root = 'data/fgvc-aircraft-2013b'
label_smoothing = 0.2  # AGC's: target 1 - e, every other class e / (K - 1)
# The same targets from mmpretrain's LabelSmoothLoss (mode='original': (1 - v) y + v / K) need v = e K / (K - 1).
label_smooth_val = label_smoothing * num_classes / (num_classes - 1)

data_preprocessor = dict(num_classes=num_classes)

# ssb_common.py's training transform with AGC's RandAugment magnitude for FGVC-Aircraft, M=15.
train_pipeline = [
    dict(type='StrictLoadImageFromFile'),
    dict(type='RandAugment', policies='timm_increasing', num_policies=2, total_level=30, magnitude_level=15,
         hparams=dict(pad_val=[104, 116, 124])),
    dict(type='Resize', scale=({{_base_.image_size}}, {{_base_.image_size}})),
    dict(type='RandomCrop', crop_size={{_base_.image_size}}, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    dataset=dict(source=dict(type='FGVCAircraft', data_root=data_root, split='trainval'), benchmark='ssb_aircraft',
                 pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(source=dict(type='FGVCAircraft', data_root=data_root, split='test'), benchmark='ssb_aircraft'))
test_dataloader = val_dataloader
