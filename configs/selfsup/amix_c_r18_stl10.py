# AMix-C (AMix-I's cross-view pipeline, Mix Block+ trained on k-means pseudo labels, K = 100) pre-training on
# STL-10 (unlabeled + train, 96x96; ImageNet-style ResNet-18 stem).
_base_ = [
    '../_base_/models/amix_c_mocov2_resnet18_cifar.py',
    '../_base_/datasets/stl10_ssl.py',
    '../_base_/schedules/ssl_sgd_cosine_800e.py',
    '../_base_/selfsup_cluster_runtime.py',
]
model = dict(num_clusters=100, backbone=dict(type='ResNet'))
