# Asymmetric distillation Table 6, row (b) CutMix + distillation, on the MNIST t10k files (MNIST split 0): the paper's
# mixed-step loss (Eq. 8 without the dropped terms; no hard-label term on mixed samples): DIST toward T(x_m) on every
# mixed sample (symmetric distillation on mixed data); no CMI, no verify/relabel. Rows "ResNet-18" and "(a) CutMix"
# are configs/baselines/ce_r18*.py and cutmix_r18*.py; row (d) is ../r18w16_mnist_t10k.py.
_base_ = ['../r18w16_mnist_t10k.py']
model = dict(cmi_loss=None, relabel_loss=None, mixed_ce_weight=0.0)
