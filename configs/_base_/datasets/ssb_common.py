# What the three Semantic Shift Benchmark datasets share (docs/datasets.md, "Semantic Shift Benchmark"): the published
# class split of each dataset (one split: train on its known classes; test on the test split's known classes plus the
# 'Easy' and the 'Hard' unknown classes, 'Medium' merged into 'Hard'), evaluated in one test run against each unknown
# set (`osr/easy/auroc`, `osr/hard/oscr`, ...), at AGC's 448 x 448 with batch 32.
# A dataset config adds its source and `benchmark`, `num_classes` and `label_smoothing` (read by the CE baselines'
# heads, as label_smooth_val); FGVC-Aircraft also its own train_pipeline (RandAugment's magnitude differs).
_base_ = ['./open_set_common.py']
image_size = 448
unknown_sets = ('easy', 'hard')

data_preprocessor = dict(
    mean=[123.675, 116.28, 103.53],  # ImageNet statistics, RGB (AGC normalises with CIFAR's; see docs)
    std=[58.395, 57.12, 57.375],
    # StrictLoadImageFromFile decodes JPEGs as BGR; flip to RGB before normalising.
    to_rgb=True)

# AGC's 'rand-augment' training transform: RandAugment (N=2, magnitude M=30 on AGC's 0-30 scale: CUB's value) on the
# decoded image, resize to 448 x 448, random crop with 4 pixels of padding, horizontal flip.
train_pipeline = [
    dict(type='StrictLoadImageFromFile'),
    dict(type='RandAugment', policies='timm_increasing', num_policies=2, total_level=30, magnitude_level=30,
         hparams=dict(pad_val=[104, 116, 124])),
    dict(type='Resize', scale=(image_size, image_size)),
    dict(type='RandomCrop', crop_size=image_size, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='StrictLoadImageFromFile'),
    dict(type='Resize', scale=(image_size, image_size)),
    # `unknown_set` ('' for known samples, 'easy' / 'hard') tells the evaluator which unknown set a sample is in.
    dict(type='PackInputs', algorithm_keys=('unknown_set', )),
]

train_dataloader = dict(batch_size=32, num_workers=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=64, num_workers=8, dataset=dict(unknown_sets=unknown_sets, pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(unknown_sets=unknown_sets)
test_evaluator = val_evaluator
