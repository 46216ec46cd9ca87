# OURS, not a paper row: asymmetric distillation Table 6 row (d) on the embedded digits (MNIST split 0) PLUS mixup
# cross-entropy on the non-confusing mixed samples, a term in neither Eq. 8 nor the authors' code (the symmetric
# CutMix + KD baseline of Wang et al. 2022 has it). Compare with the paper row to see what a hard-label term on mixed
# samples adds.
_base_ = ['../r18_digits.py']
model = dict(mixed_ce_weight=1.0)
