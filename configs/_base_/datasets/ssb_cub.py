# Semantic Shift Benchmark, CUB-200-2011: 100 known birds of 200; AGC's RandAugment M=30 and label smoothing 0.3
# for CUB.
# Images: data/CUB_200_2011/ (the layout in docs/datasets.md); the class split ships with OpenMixOSR.
_base_ = ['./ssb_common.py']
num_classes = 100
data_root = 'data/CUB_200_2011'
label_smoothing = 0.3

data_preprocessor = dict(num_classes=num_classes)

train_dataloader = dict(
    dataset=dict(source=dict(type='CUB', data_root=data_root, split='train'), benchmark='ssb_cub'))
val_dataloader = dict(
    dataset=dict(source=dict(type='CUB', data_root=data_root, split='test'), benchmark='ssb_cub'))
test_dataloader = val_dataloader
