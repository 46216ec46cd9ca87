# OURS, not a paper row: asymmetric distillation with a MobileNetV2 student (the student of Table 5, which reports
# Tiny-ImageNet only), ResNet-50 teacher, CIFAR-10 split 0.
_base_ = ['./r18_cifar10.py']
model = dict(
    student=dict(
        _delete_=True,
        type='OpenSetClassifier',
        backbone=dict(type='MobileNetV2', widen_factor=1.0),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes={{_base_.num_classes}}, in_channels=1280)))
