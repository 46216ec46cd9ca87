# AMix Table 7 (ablation of the Mix Block objective, self-supervised), Tiny-ImageNet column, row "pBCE (C)":
# the parametric pairwise BCE on the k-means centroid logits of the pseudo labels alone; Mix Block+ with every module
# (the self-supervised setting).
_base_ = ['../amix_c_r18_tiny_imagenet.py']
model = dict(mix_block_losses=dict(_delete_=True, pbce=dict(type='PairwiseMixupBCELoss')))
