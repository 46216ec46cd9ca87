# Asymmetric distillation Table 6, row (c) + CMI, on the embedded digits (MNIST split 0): the paper's mixed-step loss
# (Eq. 8 without the dropped terms; no hard-label term on mixed samples): DIST toward T(x_m) + cross mutual
# information (DIST to T(x_i), T(x_j) weighted by lam); no verify/relabel. Rows "ResNet-18" and "(a) CutMix" are
# configs/baselines/ce_r18*.py and cutmix_r18*.py; row (d) is ../r18_digits.py.
_base_ = ['../r18_digits.py']
model = dict(relabel_loss=None, mixed_ce_weight=0.0)
