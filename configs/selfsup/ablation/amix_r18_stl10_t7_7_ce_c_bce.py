# AMix Table 7 (ablation of the Mix Block objective, self-supervised), STL-10 column, row "CE (C)+BCE":
# mixup CE on the pseudo labels + non-parametric BCE: AMix-C; Mix Block+ with every module (the self-supervised
# setting).
# 400 epochs: Table 7's STL-10 numbers (85.2-85.6) are those of AMix Table 4's 400-epoch column, not 800.
_base_ = ['../amix_c_r18_stl10.py']
param_scheduler = [dict(type='CosineAnnealingLR', T_max=400, by_epoch=True, begin=0, end=400)]
train_cfg = dict(max_epochs=400)
