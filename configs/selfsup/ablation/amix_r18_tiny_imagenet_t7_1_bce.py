# AMix Table 7 (ablation of the Mix Block objective, self-supervised), Tiny-ImageNet column, row "BCE":
# the non-parametric BCE (AMix Eq. 6) alone; Mix Block+ with every module (the self-supervised setting).
_base_ = ['../amix_i_r18_tiny_imagenet.py']
model = dict(mix_block_losses=dict(_delete_=True, bce=dict(type='NonParametricMixupBCELoss', temperature=0.2)))
