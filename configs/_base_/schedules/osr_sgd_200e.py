# Recipe of the asymmetric distillation paper: 200 epochs, SGD lr 0.1, momentum 0.9, weight decay 5e-4,
# lr x0.2 at epochs 60/120/160, batch 32 (set by the dataset configs).
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=5e-4, nesterov=False))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[60, 120, 160], gamma=0.2)
train_cfg = dict(by_epoch=True, max_epochs=200, val_interval=10)
val_cfg = dict()
test_cfg = dict()
# The lr above is meant for a total batch of 32; `tools/train.py --auto-scale-lr` rescales it linearly.
auto_scale_lr = dict(base_batch_size=32)
