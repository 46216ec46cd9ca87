# CIFAR+10 open-set benchmark: 4 known CIFAR-10 classes per published split; the unknowns are the 10 listed CIFAR-100
# classes of the CIFAR-100 test set, and never the other CIFAR-10 classes. Select a split with `--cfg-options split=3`.
# The CIFAR-10 benchmark (statistics of the training data, pipelines, sources) with other classes and unknowns.
_base_ = ['./cifar10_osr.py']
num_classes = 4
unknown_data_root = 'data/cifar100'

data_preprocessor = dict(num_classes=num_classes)

train_dataloader = dict(dataset=dict(benchmark='cifar+10'))
val_dataloader = dict(
    dataset=dict(
        benchmark='cifar+10',  # also selects the 10 CIFAR-100 classes of unknown_source
        with_unknown=False,  # the other CIFAR-10 classes are not unknowns here
        unknown_source=dict(type='OfflineCIFAR100', data_root=unknown_data_root, split='test')))
test_dataloader = val_dataloader
