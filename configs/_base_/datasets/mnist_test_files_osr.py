# MNIST open-set benchmark on the official t10k files only (the real MNIST data available offline): the 10,000 test
# digits are cut by a deterministic stratified 70 / 30 partition into train (6,999) and test (3,001) parts.
_base_ = ['./mnist_osr.py']

train_dataloader = dict(dataset=dict(source=dict(test_files_only=True)))
val_dataloader = dict(dataset=dict(source=dict(test_files_only=True)))
test_dataloader = dict(dataset=dict(source=dict(test_files_only=True)))
