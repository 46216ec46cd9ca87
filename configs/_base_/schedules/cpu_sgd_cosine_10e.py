# Short CPU schedule for real-data smoke runs (MNIST t10k files): 10 epochs, SGD + cosine after a 1-epoch warm-up.
_base_ = ['./cpu_sgd_cosine_30e.py']
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=1, T_max=9, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=10, val_interval=5)
