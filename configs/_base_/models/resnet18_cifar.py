# CIFAR-style ResNet-18 (3x3 stem, no max-pool): the student of the asymmetric distillation paper.
model = dict(
    type='OpenSetClassifier',
    backbone=dict(type='ResNet_CIFAR', depth=18, num_stages=4, out_indices=(3, ), style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,  # set to the number of known classes by each config
        in_channels=512,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
