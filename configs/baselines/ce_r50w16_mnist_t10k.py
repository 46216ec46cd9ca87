# Plain CE on the real MNIST t10k files (70/30 partition, MNIST split 0), quarter width, 10 CPU epochs, batch 64.
_base_ = [
    '../_base_/models/resnet50_cifar_w16.py',
    '../_base_/datasets/mnist_test_files_osr.py',
    '../_base_/schedules/cpu_sgd_cosine_10e.py',
    '../_base_/default_runtime.py',
]
model = dict(head=dict(num_classes={{_base_.num_classes}}))
train_dataloader = dict(batch_size=64)
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=5))
