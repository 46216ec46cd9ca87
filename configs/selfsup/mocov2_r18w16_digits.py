# MoCo v2 pre-training on the embedded digits (known classes of MNIST split 0) with the quarter-width ResNet-18: the
# CPU baseline of amix_i_r18w16_digits.py; runs in minutes. Linear evaluation: linear_eval/linear_r18w16_digits.py.
_base_ = [
    '../_base_/models/mocov2_resnet18_cifar_w16.py',
    '../_base_/datasets/digits_ssl.py',
    '../_base_/schedules/cpu_ssl_sgd_cosine_100e.py',
    '../_base_/selfsup_runtime.py',
]
# ~1,100 steps instead of hundreds of thousands: m = 0.99 (time constant 100 steps) instead of 0.999, for both MoCo
# and AMix.
model = dict(momentum=0.01)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=50))
