# Asymmetric distillation on the Semantic Shift Benchmark, Stanford Cars (the paper's Table 3, 'Ours'): the CE baseline
# of AGC's recipe as teacher -> a ResNet-50 student from the same Places MoCo v2 weights, with AGC's data and schedule
# (the paper follows AGC on this benchmark). Evaluated against the Easy and the Hard unknown classes in one test.
# Teacher: python tools/train.py configs/baselines/ce_r50_ssb_scars.py
_base_ = [
    '../_base_/models/asym_r50_r50_places_moco.py',
    '../_base_/datasets/ssb_scars.py',
    '../_base_/schedules/agc_sgd_cosine_restarts_600e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    student=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher_checkpoint='work_dirs/ce_r50_ssb_scars')
teacher_config = 'openmixosr::baselines/ce_r50_ssb_scars.py'
