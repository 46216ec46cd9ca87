# Large-scale benchmark: train on all 200 Tiny-ImageNet classes; test on the Tiny-ImageNet validation set (known)
# against ImageNet-21K 'Easy' and 'Hard' unknown classes, both in one test run (`osr/easy/auroc`, `osr/hard/oscr`).
# SUBSTITUTE CLASS LISTS: the asymmetric distillation paper takes its Easy / Hard lists from Ren et al. (2023), which
# are not available here; these configs use the Semantic Shift Benchmark's ImageNet-21K-P lists (1000 Easy, 980
# Hard classes, disjoint from ImageNet-1K and hence from Tiny-ImageNet). Numbers are not comparable cell by cell with
# the paper's Table 4. docs/datasets.md, "Large-scale benchmark".
_base_ = ['./tiny_imagenet_osr.py']
num_classes = 200
# ImageNet-21K-P (winter21) validation images, one folder per wnid: <in21k_root>/n00005787/*.JPEG. Only the folders
# of the listed classes are read.
in21k_root = 'data/imagenet21k_resized/imagenet21k_val'
unknown_sets = ('easy', 'hard')

data_preprocessor = dict(num_classes=num_classes)

# ImageNet-21K images are full size: shorter side to 64, centre 64 x 64 (a no-op on Tiny-ImageNet's 64 x 64 images).
test_pipeline = [
    dict(type='StrictLoadImageFromFile'),
    dict(type='ResizeEdge', scale=64, edge='short'),
    dict(type='CenterCrop', crop_size=64),
    dict(type='PackInputs', algorithm_keys=('unknown_set', )),
]

train_dataloader = dict(dataset=dict(benchmark='in21k_ssb'))
val_dataloader = dict(
    dataset=dict(benchmark='in21k_ssb', with_unknown=False,
                 unknown_source=dict(type='ImageNet21KFolder', data_root=in21k_root),
                 unknown_sets=unknown_sets, pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(unknown_sets=unknown_sets)
test_evaluator = val_evaluator
