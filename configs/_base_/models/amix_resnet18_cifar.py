# AMix on the CIFAR ResNet-18: AutoMix's Momentum Pipeline with Mix Block+ (adaptive lam encoding, non-linear content,
# global attention, bilinear upsampling, lam adjusting, variance mask loss).
_base_ = ['./automix_resnet18_cifar.py']
model = dict(
    mix_block=dict(
        _delete_=True,
        type='MixBlockPlus',
        in_channels=256,
        reduction=2,
        upsample='bilinear',
        lam_margin=0.1,
        lam_encoding='adaptive',
        nonlinear_value=True,
        global_attention=True,
        lam_adjust=True,
        variance_loss=True))
