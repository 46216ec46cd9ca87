# Semantic Shift Benchmark, CUB-200-2011: 100 known birds of 200; AGC's RandAugment M=30 and label smoothing 0.3
# for CUB.
# Images: data/CUB_200_2011/ (the official layout, docs/datasets.md); the class split ships with OpenMixOSR.
_base_ = ['./ssb_common.py']
num_classes = 100
data_root = 'data/CUB_200_2011'
label_smoothing = 0.3

data_preprocessor = dict(num_classes=num_classes)

# AGC's 'rand-augment' training transform: RandAugment (N=2, magnitude M=30 on AGC's 0-30 scale) on the
# decoded image, resize to 448 x 448, random crop with 4 pixels of padding, horizontal flip.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandAugment', policies='timm_increasing', num_policies=2, total_level=30, magnitude_level=30,
         hparams=dict(pad_val=[104, 116, 124])),
    dict(type='Resize', scale=({{_base_.image_size}}, {{_base_.image_size}})),
    dict(type='RandomCrop', crop_size={{_base_.image_size}}, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    dataset=dict(source=dict(type='CUB', data_root=data_root, split='train'), benchmark='ssb_cub',
                 pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(source=dict(type='CUB', data_root=data_root, split='test'), benchmark='ssb_cub'))
test_dataloader = val_dataloader
