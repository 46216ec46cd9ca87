# AGC's fine-grained recipe (Vaze et al. 2022, "a good closed-set classifier is all you need"), which the asymmetric
# distillation paper follows on the Semantic Shift Benchmark: SGD lr 0.001 (momentum 0.9), weight decay 1e-4,
# 600 epochs, a 10-epoch linear warm-up from lr x 1e-3, then cosine annealing with 2 warm restarts (3 periods) down
# to lr x 1e-3, batch 32 (set by the dataset configs). AGC's warm-up overlaps its first period; here the first
# period starts after the warm-up (190 + 200 + 200 epochs).
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=10, convert_to_iter_based=True),
    dict(type='CosineRestartLR', by_epoch=True, begin=10, end=600, periods=[190, 200, 200],
         restart_weights=[1.0, 1.0, 1.0], eta_min_ratio=1e-3, convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=600, val_interval=20)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)
