# Short CPU schedule for self-supervised pre-training on the embedded digits: SGD (momentum 0.9, weight decay 1e-4)
# at lr 0.06 for batch 64 (MoCo v2's 0.03 per 256 images is too slow for ~1,200 steps), cosine annealing, 100 epochs.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.06, momentum=0.9, weight_decay=1e-4))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=100, by_epoch=True, begin=0, end=100)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100)
auto_scale_lr = dict(base_batch_size=64)
