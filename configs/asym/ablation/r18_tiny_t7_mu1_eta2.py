# Asymmetric distillation Table 7 (hyper-parameter grid), mu = 1.0, eta = 2.0: L_mixed = L_KD + mu L_CMI + eta
# L_relabel (Eq. 8), mu and eta the losses' loss_weight. mu = eta = 1 is ../r18_tiny.py.
_base_ = ['../r18_tiny.py']
model = dict(cmi_loss=dict(loss_weight=1.0), relabel_loss=dict(loss_weight=2.0))
