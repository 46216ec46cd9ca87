# Semantic Shift Benchmark, Stanford Cars: 98 known models of 196. AGC publishes no Stanford Cars hyper-parameters;
# we take its CUB values (M=30, label smoothing 0.3).
# Images: data/stanford_cars/ (the official layout, docs/datasets.md); the class split ships with OpenMixOSR.
_base_ = ['./ssb_common.py']
num_classes = 98
data_root = 'data/stanford_cars'
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
    dataset=dict(source=dict(type='StanfordCarsFolder', data_root=data_root, split='train'), benchmark='ssb_scars',
                 pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(source=dict(type='StanfordCarsFolder', data_root=data_root, split='test'), benchmark='ssb_scars'))
test_dataloader = val_dataloader
