# AMIX on the embedded digits (MNIST split 0) with the quarter-width ResNet-18: runs on CPU in minutes.
_base_ = [
    '../_base_/models/amix_resnet18_cifar_w16.py',
    '../_base_/datasets/digits_osr.py',
    '../_base_/schedules/cpu_sgd_cosine_30e.py',
    '../_base_/mixup_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.num_classes}}))
# As the paper configs: validation every 10 epochs and after each of the last 10, for the median of the last 10.
train_cfg = dict(_delete_=True, type='LastEpochsValTrainLoop', max_epochs=30, val_interval=10)
# 360 iterations instead of the papers' ~400k: m = 0.999 would leave the momentum encoder at ~70% of its random
# initialisation. m = 0.9 gives it a time constant of 10 iterations (~3% of training, the papers' ~0.25% rounded up).
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=10), momentum_pipeline=dict(momentum=0.9))
