# Linear evaluation on STL-10 (5,000 labelled training images, 8,000 test images): frozen ImageNet-stem ResNet-18 from
# amix_i_r18_stl10.py (or another pre-training, via --cfg-options pretrained=...); top-1 / top-5.
_base_ = [
    '../../_base_/models/linear_resnet18_cifar.py',
    '../../_base_/datasets/stl10.py',
    '../../_base_/schedules/linear_sgd_steplr_100e.py',
    '../../_base_/default_runtime.py',
]
pretrained = 'work_dirs/amix_i_r18_stl10/epoch_800.pth'
model = dict(backbone=dict(type='ResNet'), head=dict(num_classes={{_base_.num_classes}}))
# The schedule's lr 0.1 is taken at this config's batch (the dataset config's): tools/train.py refuses another total
# batch (processes x batch_size) unless --auto-scale-lr or --allow-batch-change.
auto_scale_lr = dict(base_batch_size=256)
