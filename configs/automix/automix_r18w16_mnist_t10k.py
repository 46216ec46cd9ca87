# AUTOMIX on the real MNIST t10k files (70/30 partition, MNIST split 0; put them in data/mnist, see docs/datasets.md),
# quarter-width ResNet-18, 10 CPU epochs, batch 64: 28x28 images, a 7x7 stage-3 map for the Mix Block.
_base_ = [
    '../_base_/models/automix_resnet18_cifar_w16.py',
    '../_base_/datasets/mnist_test_files_osr.py',
    '../_base_/schedules/cpu_sgd_cosine_10e.py',
    '../_base_/mixup_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.num_classes}}))
train_dataloader = dict(batch_size=64)
# ~770 iterations instead of the papers' ~400k: the momentum starts at 0.9 as in the digits configs.
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=5), momentum_pipeline=dict(momentum=0.9))
