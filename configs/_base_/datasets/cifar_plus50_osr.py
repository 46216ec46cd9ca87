# CIFAR+50 open-set benchmark: CIFAR+10 with the 50 listed CIFAR-100 test classes as unknowns (5,000 images).
_base_ = ['./cifar_plus10_osr.py']
train_dataloader = dict(dataset=dict(benchmark='cifar+50'))
val_dataloader = dict(dataset=dict(benchmark='cifar+50'))  # also selects the 50 CIFAR-100 classes of unknown_source
test_dataloader = val_dataloader
