# AutoMix on the CIFAR ResNet-18: a learned-mask mixer whose Mix Block takes the raw stage-3 features (l = 3, 256
# channels) of the momentum encoder and learns from the mixup CE of the momentum encoder on its mixes.
model = dict(
    type='AutoMix',
    backbone=dict(type='ResNet_CIFAR', depth=18, num_stages=4, out_indices=(3, ), style='pytorch'),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=100, in_channels=512),  # num_classes set by each config
    mixer=dict(
        type='LearnedMaskMixer',
        mix_block=dict(type='MixBlock', in_channels=256, reduction=2, upsample='nearest', lam_margin=0.1),
        mix_layer='layer3',
        alpha=2.0,
        feature_norm='none',
        objective=dict(type='MixupCrossEntropyLoss')),
    eval_network='momentum',
)
