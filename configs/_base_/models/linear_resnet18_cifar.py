# Linear evaluation of a self-supervised CIFAR-style ResNet-18: every backbone stage frozen (BN in eval mode), a
# linear head on the pooled features. The backbone weights come from the config's `pretrained` checkpoint
# (tools/train.py sets `backbone.init_cfg` from it).
_base_ = ['./resnet18_cifar.py']
model = dict(backbone=dict(frozen_stages=4, norm_eval=True))
