# MobileNetV2 (width 1.0): the light student of the asymmetric distillation paper (Table 5).
model = dict(
    type='OpenSetClassifier',
    backbone=dict(type='MobileNetV2', widen_factor=1.0),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,  # set to the number of known classes by each config
        in_channels=1280,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
