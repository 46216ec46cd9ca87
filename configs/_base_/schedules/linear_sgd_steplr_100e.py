# Linear evaluation (the MoCo protocol as stated for AMix): SGD, 100 epochs, lr 0.1 divided by 10 at epochs 30 and
# 60, momentum 0.9, no weight decay; the frozen backbone gets no updates.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=0.0))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[30, 60], gamma=0.1)]
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=10)
val_cfg = dict()
test_cfg = dict()
