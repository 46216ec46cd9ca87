# The paper's Sec. 4.1 setting on the Semantic Shift Benchmark, Stanford Cars: a Sec. 4.1 VARIANT of the 'Ours'
# row of the paper's Table 3 (r50_ssb_scars.py, our ResNet-50 student). Sec. 4.1's default pair and recipe: the CE
# baseline of AGC's recipe (ResNet-50) as teacher -> an ImageNet-style ResNet-18 student from scratch, 200 epochs,
# batch 32, SGD lr 0.1 (x0.2 at 60/120/160), weight decay 5e-4; AGC's data (448 px) and Easy / Hard evaluation.
# Teacher: python tools/train.py configs/baselines/ce_r50_ssb_scars.py
_base_ = [
    '../_base_/models/asym_r50_r18_ssb.py',
    '../_base_/datasets/ssb_scars.py',
    '../_base_/schedules/osr_sgd_200e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    student=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher=dict(head=dict(num_classes={{_base_.num_classes}})),
    teacher_checkpoint='work_dirs/ce_r50_ssb_scars')
teacher_config = 'openmixosr::baselines/ce_r50_ssb_scars.py'
