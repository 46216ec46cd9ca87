# Asymmetric distillation Table 7 (hyper-parameter grid), mu = 2.0, eta = 2.0: L_mixed = L_KD + mu L_CMI + eta
# L_relabel (Eq. 8). mu = eta = 1 is ../r18_tiny.py.
_base_ = ['../r18_tiny.py']
model = dict(mu=2.0, eta=2.0)
