# Linear evaluation on the embedded digits (MNIST open-set split 0): frozen quarter-width ResNet-18 from a
# self-supervised checkpoint, linear head on the 6 known classes (SGD, 100 epochs, lr 0.1 / 10 at 30 and 60); reports
# closed-set top-1 and the open-set AUROC / OSCR of the linear classifier. Another checkpoint:
#   --cfg-options pretrained=work_dirs/mocov2_r18w16_digits/epoch_100.pth
_base_ = [
    '../../_base_/models/linear_resnet18_cifar.py',
    '../../_base_/datasets/digits_osr.py',
    '../../_base_/schedules/linear_sgd_steplr_100e.py',
    '../../_base_/default_runtime.py',
]
pretrained = 'work_dirs/amix_i_r18w16_digits/epoch_100.pth'
model = dict(
    backbone=dict(stem_channels=16, base_channels=16),
    head=dict(in_channels=128, num_classes={{_base_.num_classes}}))
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=50))
# The schedule's lr 0.1 is taken at this config's batch (the dataset config's): tools/train.py refuses another total
# batch (processes x batch_size) unless --auto-scale-lr or --allow-batch-change.
auto_scale_lr = dict(base_batch_size=64)
