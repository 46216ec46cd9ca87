# Ours, not a paper row: asymmetric distillation on the embedded digits with the masks of a trained AutoMix run, frozen:
# its Mix Block and the momentum encoder's backbone that fed it come from the AutoMix checkpoint (strict keys), and draw
# the masks as in AutoMix's training. Train AutoMix first: `python tools/train.py
# configs/automix/automix_r18w16_digits.py` (docs/asymmetric_distillation.md, "Learned masks").
_base_ = ['./r18_digits.py']
mixer_source_config = '../automix/automix_r18w16_digits.py'  # the run whose checkpoint `mixer.checkpoint` names
model = dict(
    mixer=dict(
        _delete_=True,
        type='LearnedMaskMixer',
        alpha=2.0,
        checkpoint='work_dirs/automix_r18w16_digits/epoch_30.pth',
        mix_block=dict(type='MixBlock', in_channels=64, reduction=2, upsample='nearest', lam_margin=0.1),
        encoder=dict(type='ResNet_CIFAR', depth=18, num_stages=4, out_indices=(3, ), style='pytorch', stem_channels=16,
                     base_channels=16),
        mix_layer='layer3'))
