# Paper Table 6 row 5: + relaxed verify and relabelling of the confusing mixed samples (mixup CE kept on the others).
# Rows 1-2 are configs/baselines/ce_r18_*.py and cutmix_r18_*.py; the full method is r18w16_mnist_t10k.py
# (the paper's mixed-step loss has no hard-label term: compare with row 5 to see what mixup CE adds).
_base_ = ['../r18w16_mnist_t10k.py']
model = dict(mixed_ce_weight=1.0)
