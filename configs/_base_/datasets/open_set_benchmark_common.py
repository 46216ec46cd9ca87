# What every published open-set benchmark shares: open_set_common.py plus the class split. `split` selects one of the
# five published splits of `benchmark` for every dataset (`--cfg-options split=3`; the tools copy it into each
# `osr_split`, see docs/datasets.md), and the test set adds the source's samples of the other classes as unknowns
# (`with_unknown=True`; CIFAR+N sets it to False and takes its unknowns from CIFAR-100 instead).
# A benchmark config adds `benchmark=...` to the datasets of train_dataloader and val_dataloader.
_base_ = ['./open_set_common.py']
split = 0

train_dataloader = dict(dataset=dict(osr_split=split))
val_dataloader = dict(dataset=dict(osr_split=split, with_unknown=True))
test_dataloader = val_dataloader
