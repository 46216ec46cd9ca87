# AGC's recipe on the Semantic Shift Benchmark, CUB: ResNet-50 from Places MoCo v2 weights, plain CE with label
# smoothing, 448 px, RandAugment, 600 epochs, MLS score. It is the 'AGC' row of the asymmetric distillation paper's
# Table 3 (numbers from Vaze et al. 2022) and the teacher of configs/asym/r50_ssb_cub.py.
_base_ = [
    '../_base_/models/resnet50_places_moco.py',
    '../_base_/datasets/ssb_cub.py',
    '../_base_/schedules/agc_sgd_cosine_restarts_600e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    head=dict(num_classes={{_base_.num_classes}},
              loss=dict(type='LabelSmoothLoss', label_smooth_val={{_base_.label_smooth_val}}, mode='original')))
