# What every open-set dataset config shares: the OpenSetDataset wrapper (unknown test samples labelled -1), batches of
# 32 for training (shuffled) and 64 for testing, the test set used for validation, and the open-set evaluator.
# A config that inherits it states only what is particular to its data:
#   num_classes and data_preprocessor = dict(num_classes=num_classes, mean=..., std=...) (to_rgb is False here);
#   train_pipeline / test_pipeline, passed as `pipeline=` in train_dataloader.dataset / val_dataloader.dataset
#     (a base config cannot read the variables of the config that inherits it);
#   the `source` (and `unknown_source`) of each dataset, then `test_dataloader = val_dataloader` again, since the
#     line below binds test_dataloader to the val_dataloader of this file.
# Published benchmarks inherit open_set_benchmark_common.py (this file plus the split).
# Loading is set up for a GPU (docs/gpu.md): 4 workers per process, kept between epochs, batches in pinned memory and
# copied to the GPU asynchronously (non_blocking); tools/train.py and tools/test.py turn pin_memory off without a GPU.
dataset_type = 'OpenSetDataset'

data_preprocessor = dict(type='OpenSetDataPreprocessor', to_rgb=False, non_blocking=True)

train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type=dataset_type))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, test_mode=True))
test_dataloader = val_dataloader

val_evaluator = dict(type='OpenSetEvaluator')
test_evaluator = val_evaluator
