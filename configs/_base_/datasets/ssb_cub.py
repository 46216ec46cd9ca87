# Semantic Shift Benchmark, CUB-200-2011: 100 known birds of 200; AGC's RandAugment M=30 and label smoothing 0.3
# for CUB.
# Images: data/CUB_200_2011/ (the layout in docs/datasets.md); the class split ships with OpenMixOSR.
_base_ = ['./ssb_common.py']
num_classes = 100
data_root = 'data/CUB_200_2011'
label_smoothing = 0.3  # AGC's: target 1 - e, every other class e / (K - 1)
# The same targets from mmpretrain's LabelSmoothLoss (mode='original': (1 - v) y + v / K) need v = e K / (K - 1).
label_smooth_val = label_smoothing * num_classes / (num_classes - 1)

data_preprocessor = dict(num_classes=num_classes)

train_dataloader = dict(
    dataset=dict(source=dict(type='CUB', data_root=data_root, split='train'), benchmark='ssb_cub'))
val_dataloader = dict(
    dataset=dict(source=dict(type='CUB', data_root=data_root, split='test'), benchmark='ssb_cub'))
test_dataloader = val_dataloader
