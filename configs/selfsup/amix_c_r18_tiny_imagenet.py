# AMix-C (AMix-I's cross-view pipeline, Mix Block+ trained on k-means pseudo labels, K = 200) pre-training on
# Tiny-ImageNet (64x64; CIFAR-style ResNet-18).
_base_ = [
    '../_base_/models/amix_c_mocov2_resnet18_cifar.py',
    '../_base_/datasets/tiny_imagenet_ssl.py',
    '../_base_/schedules/ssl_sgd_cosine_800e.py',
    '../_base_/selfsup_cluster_runtime.py',
]
model = dict(num_clusters=200)
