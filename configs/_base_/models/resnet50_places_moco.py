# ImageNet-style ResNet-50 initialised from MoCo v2 weights pre-trained on Places365 (no ImageNet images, so no overlap
# with the Semantic Shift Benchmark's unknown classes): AGC's backbone on the fine-grained datasets. The weights are
# the user's file (OpenMixOSR never downloads): put the checkpoint at `checkpoint` below (or pass
# `--cfg-options model.backbone.init_cfg.checkpoint=PATH`), a state dict of
# torchvision-named ResNet-50 entries (`conv1.weight`, `layer1.0.bn1.weight`, ...; a leading `module.` is dropped and
# a MoCo projection head `fc.*` is skipped). A MoCo v2 training checkpoint (`state_dict` with `module.encoder_q.*`)
# needs `prefix='module.encoder_q.'`. `require_all` refuses a file that does not hold every backbone weight.
model = dict(
    type='OpenSetClassifier',
    backbone=dict(type='ResNet', depth=50, num_stages=4, out_indices=(3, ), style='pytorch',
                  init_cfg=dict(type='SafePretrained', checkpoint='data/pretrained/moco_v2_places365_resnet50.pth',
                                require_all=True)),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,  # set to the number of known classes by each config
        in_channels=2048,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
