# Semantic Shift Benchmark, Stanford Cars: 98 known models of 196. AGC publishes no Stanford Cars hyper-parameters;
# we take its CUB values (M=30, label smoothing 0.3).
# Images: data/stanford_cars/ (the layout in docs/datasets.md); the class split ships with OpenMixOSR.
_base_ = ['./ssb_common.py']
num_classes = 98
data_root = 'data/stanford_cars'
label_smoothing = 0.3  # AGC's: target 1 - e, every other class e / (K - 1)
# The same targets from mmpretrain's LabelSmoothLoss (mode='original': (1 - v) y + v / K) need v = e K / (K - 1).
label_smooth_val = label_smoothing * num_classes / (num_classes - 1)

data_preprocessor = dict(num_classes=num_classes)

train_dataloader = dict(
    dataset=dict(source=dict(type='StanfordCarsFolder', data_root=data_root, split='train'), benchmark='ssb_scars'))
val_dataloader = dict(
    dataset=dict(source=dict(type='StanfordCarsFolder', data_root=data_root, split='test'), benchmark='ssb_scars'))
test_dataloader = val_dataloader
