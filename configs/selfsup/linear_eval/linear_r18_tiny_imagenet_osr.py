# Linear evaluation on the Tiny-ImageNet open-set benchmark (20 known classes): frozen ResNet-18 from
# amix_i_r18_tiny_imagenet_osr.py (or mocov2_..., via --cfg-options pretrained=...); closed-set top-1, AUROC, OSCR.
_base_ = [
    '../../_base_/models/linear_resnet18_cifar.py',
    '../../_base_/datasets/tiny_imagenet_osr.py',
    '../../_base_/schedules/linear_sgd_steplr_100e.py',
    '../../_base_/default_runtime.py',
]
pretrained = 'work_dirs/amix_i_r18_tiny_imagenet_osr/epoch_800.pth'
model = dict(head=dict(num_classes={{_base_.num_classes}}))
# The schedule's lr 0.1 is taken at this config's batch (the dataset config's): tools/train.py refuses another total
# batch (processes x batch_size) unless --auto-scale-lr or --allow-batch-change.
auto_scale_lr = dict(base_batch_size=32)
