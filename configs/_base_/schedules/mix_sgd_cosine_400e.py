# Tiny-ImageNet recipe of AutoMix / AMix: 400 epochs, batch 100, SGD lr 0.2, momentum 0.9, weight decay 1e-4,
# cosine annealing to 0.
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.2, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=400, T_max=400, eta_min=0.0,
                       convert_to_iter_based=True)
# Validation every 10 epochs and after each of the last 10 (LastEpochsValTrainLoop): the papers report the median of
# top-1 over the last 10 epochs (openmixosr.evaluation.median_of_last_epochs; docs/automix.md).
train_cfg = dict(type='LastEpochsValTrainLoop', max_epochs=400, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=100)
