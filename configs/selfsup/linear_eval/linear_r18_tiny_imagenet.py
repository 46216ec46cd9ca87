# Linear evaluation on Tiny-ImageNet (200 classes, validation set as test set): frozen ResNet-18 from
# amix_i_r18_tiny_imagenet.py (or another pre-training, via --cfg-options pretrained=...); top-1 / top-5. The protocol
# of AMix Sec. 4.2: SGD, batch 256, 100 epochs, lr 0.1 divided by 10 at epochs 30 and 60.
_base_ = [
    '../../_base_/models/linear_resnet18_cifar.py',
    '../../_base_/datasets/tiny_imagenet.py',
    '../../_base_/schedules/linear_sgd_steplr_100e.py',
    '../../_base_/default_runtime.py',
]
pretrained = 'work_dirs/amix_i_r18_tiny_imagenet/epoch_800.pth'
model = dict(head=dict(num_classes={{_base_.num_classes}}))
train_dataloader = dict(batch_size=256)  # AMix Sec. 4.2 (the dataset config's 100 is the supervised recipe's)
# The schedule's lr 0.1 is taken at this config's batch (the dataset config's): tools/train.py refuses another total
# batch (processes x batch_size) unless --auto-scale-lr or --allow-batch-change.
auto_scale_lr = dict(base_batch_size=256)
