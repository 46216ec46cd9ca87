# AMix on the CIFAR ResNet-18: AutoMix's Momentum Pipeline with Mix Block+ in the paper's SUPERVISED setting: adaptive
# lam encoding, non-linear content, global attention, the variance mask loss and bilinear upsampling, WITHOUT lam
# adjusting. That is AMix Table 8's "+Bilinear" row, whose 68.56 (Tiny-ImageNet, SL) is the supervised headline of
# AMix Table 3; "+lam adjusting" lowers SL to 68.37 and is kept for the self-supervised models (configs/selfsup/).
_base_ = ['./automix_resnet18_cifar.py']
model = dict(
    mixer=dict(
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
            lam_adjust=False,
            variance_loss=True)))
