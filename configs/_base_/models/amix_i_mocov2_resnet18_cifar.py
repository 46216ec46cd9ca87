# AMix-I on MoCo v2: cross-view mixup with a learned-mask mixer, Mix Block+ on the raw stage-3 features of the momentum
# encoder, the Mix Block trained with the mixup infoNCE (AMix Eq. 4) + the non-parametric BCE (AMix Eq. 6), AMix
# Table 7 "infoNCE+BCE" (the model's mix_block_losses: the mixer has no objective of its own); the momentum update
# belongs to MomentumPipelineHook. Mix Block+ with lam adjusting: the self-supervised setting.
_base_ = ['./mocov2_resnet18_cifar.py']
model = dict(
    type='MoCoAMix',
    _delete_=True,
    queue_len=65536,
    feat_dim=128,
    backbone={{_base_.model.backbone}},
    neck={{_base_.model.neck}},
    head={{_base_.model.head}},
    mixer=dict(
        type='LearnedMaskMixer',
        mix_block=dict(
            type='MixBlockPlus',
            in_channels=256,
            reduction=2,
            upsample='bilinear',
            lam_margin=0.1,
            lam_encoding='adaptive',
            nonlinear_value=True,
            global_attention=True,
            lam_adjust=True,
            variance_loss=True),
        mix_layer='layer3',
        alpha=2.0,
        feature_norm='none',
        objective=None),
    mix_loss=dict(type='MixupInfoNCELoss', temperature=0.2),
    mix_block_losses=dict(
        infonce=dict(type='MixupInfoNCELoss', temperature=0.2),
        bce=dict(type='NonParametricMixupBCELoss', temperature=0.2)),
)
