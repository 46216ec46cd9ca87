# AMix-C pre-training on the embedded digits (known classes of MNIST split 0) with the quarter-width ResNet-18 and
# K = 10 k-means clusters re-assigned every epoch; runs on CPU in minutes.
_base_ = [
    '../_base_/models/amix_c_mocov2_resnet18_cifar_w16.py',
    '../_base_/datasets/digits_ssl.py',
    '../_base_/schedules/cpu_ssl_sgd_cosine_100e.py',
    '../_base_/selfsup_cluster_runtime.py',
]
model = dict(num_clusters=10)
# m = 0.99 as in mocov2_r18w16_digits.py (short schedule).
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=50),
                     momentum_pipeline=dict(momentum=0.99, end_momentum=0.99))
