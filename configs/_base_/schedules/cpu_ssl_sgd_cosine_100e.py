# Short CPU schedule for self-supervised pre-training on the embedded digits: SGD (momentum 0.9, weight decay 1e-4)
# at lr 0.03 for batch 64 (4x MoCo v2's 0.03 per 256 images, for ~1,100 steps), cosine annealing, 100 epochs.
# At lr 0.06, AMix (whose online objective adds a second infoNCE term, doubling q's gradient) collapsed in 2 of 3
# AMix-I runs and all AMix-C runs: training loss stuck at log(queue + 1) and all embeddings at cosine 0.9999.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=100, by_epoch=True, begin=0, end=100)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100)
auto_scale_lr = dict(base_batch_size=64)
