# MNIST open-set benchmark: 6 known digits per published split; the other 4 digits of the test set are unknown (-1).
# The 28x28 gray digits are read as 3 equal channels and resized to 32x32 for the CIFAR-sized backbones.
# Needs the four official idx files; `mnist_test_files_osr.py` runs the same benchmark on the t10k files only.
_base_ = ['./open_set_benchmark_common.py']
num_classes = 6
data_root = 'data/mnist'

data_preprocessor = dict(
    num_classes=num_classes,
    mean=[33.32, 33.32, 33.32],  # MNIST train statistics (0.1307, 0.3081) x 255, same on the 3 channels
    std=[78.57, 78.57, 78.57])

train_pipeline = [
    dict(type='Resize', scale=32),
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='Resize', scale=32),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    dataset=dict(source=dict(type='OfflineMNIST', data_root=data_root, split='train'), benchmark='mnist',
                 pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(source=dict(type='OfflineMNIST', data_root=data_root, split='test'), benchmark='mnist',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
