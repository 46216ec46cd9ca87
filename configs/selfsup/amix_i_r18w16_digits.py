# AMix-I pre-training on the embedded digits (known classes of MNIST split 0) with the quarter-width ResNet-18; runs on
# CPU in minutes. Linear evaluation: linear_eval/linear_r18w16_digits.py --cfg-options pretrained=...
_base_ = [
    '../_base_/models/amix_i_mocov2_resnet18_cifar_w16.py',
    '../_base_/datasets/digits_ssl.py',
    '../_base_/schedules/cpu_ssl_sgd_cosine_100e.py',
    '../_base_/selfsup_mix_runtime.py',
]
# m = 0.99 as in mocov2_r18w16_digits.py (short schedule).
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=50),
                     momentum_pipeline=dict(momentum=0.99, end_momentum=0.99))
