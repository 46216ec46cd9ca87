# AMix Table 7 (ablation of the Mix Block objective, self-supervised), STL-10 column, row "CE (C)+infoNCE":
# mixup CE on the pseudo labels + mixup infoNCE; Mix Block+ with every module (the self-supervised setting).
# 400 epochs: Table 7's STL-10 numbers (85.2-85.6) are those of AMix Table 4's 400-epoch column, not 800.
_base_ = ['../amix_c_r18_stl10.py']
param_scheduler = [dict(type='CosineAnnealingLR', T_max=400, by_epoch=True, begin=0, end=400)]
train_cfg = dict(max_epochs=400)
model = dict(
    mix_block_losses=dict(
        _delete_=True, ce=dict(type='MixupCrossEntropyLoss'), infonce=dict(type='MixupInfoNCELoss', temperature=0.2)))
