# MoCo v2 pre-training for the Tiny-ImageNet open-set benchmark (known classes of the split only);
# linear_eval/linear_r18_tiny_imagenet_osr.py evaluates it.
_base_ = [
    '../_base_/models/mocov2_resnet18_cifar.py',
    '../_base_/datasets/tiny_imagenet_osr_ssl.py',
    '../_base_/schedules/ssl_sgd_cosine_800e.py',
    '../_base_/selfsup_runtime.py',
]
