# CIFAR-style ResNet-50: the teacher of the asymmetric distillation paper.
model = dict(
    type='OpenSetClassifier',
    backbone=dict(type='ResNet_CIFAR', depth=50, num_stages=4, out_indices=(3, ), style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,  # set to the number of known classes by each config
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
