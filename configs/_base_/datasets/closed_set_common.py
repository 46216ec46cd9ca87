# What every closed-set classification config shares (the AutoMix / AMix benchmarks and linear evaluation): batches of
# 100 as in the papers, the test set used for validation, top-1 / top-5 accuracy.
# A config that inherits it states num_classes, data_preprocessor = dict(num_classes=num_classes, mean=..., std=...)
# (to_rgb is False here), train_pipeline / test_pipeline and the dataset of train_dataloader / val_dataloader
# (`pipeline=` included: a base config cannot read the variables of the config that inherits it), then
# `test_dataloader = val_dataloader` again.
# Loading is set up for a GPU as in open_set_common.py (docs/gpu.md).
data_preprocessor = dict(type='OpenSetDataPreprocessor', to_rgb=False, non_blocking=True)

train_dataloader = dict(
    batch_size=100,
    num_workers=4,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=100,
    num_workers=4,
    persistent_workers=True,
    pin_memory=True,
    sampler=dict(type='DefaultSampler', shuffle=False))
test_dataloader = val_dataloader

val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator
