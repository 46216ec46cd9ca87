# Paper Table 6 row 3: symmetric CutMix + KD: DIST to T(x_m) on every mixed sample plus mixup CE; no CMI, no relabel.
# Rows 1-2 are configs/baselines/ce_r18_*.py and cutmix_r18_*.py; the full method is r18w16_mnist_t10k.py
# (the paper's mixed-step loss has no hard-label term: compare with row 5 to see what mixup CE adds).
_base_ = ['../r18w16_mnist_t10k.py']
model = dict(cmi_loss=None, relabel_loss=None, mixed_ce_weight=1.0)
