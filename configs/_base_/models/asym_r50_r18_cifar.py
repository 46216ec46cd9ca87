# Asymmetric distillation: CIFAR ResNet-50 teacher (plain CE on the known classes, frozen) -> CIFAR ResNet-18 student.
# Loss of the paper (asymmetric distillation Eq. 4 and Eq. 8; docs/asymmetric_distillation.md, Method reference):
# raw step CE + DIST; mixed step (CutMix, p = 0.5) DIST on the non-confusing mixed samples + cross mutual information
# + relabelling of the confusing ones.
model = dict(
    type='AsymmetricDistiller',
    student=dict(
        type='OpenSetClassifier',
        backbone=dict(type='ResNet_CIFAR', depth=18, num_stages=4, out_indices=(3, ), style='pytorch'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=512)),  # num_classes set by each config
    teacher=dict(
        type='OpenSetClassifier',
        backbone=dict(type='ResNet_CIFAR', depth=50, num_stages=4, out_indices=(3, ), style='pytorch'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=2048)),
    teacher_checkpoint=None,  # set by each config: the checkpoint of the matching ce_r50 baseline
    mixer=dict(type='PairedCutMix', alpha=1.0),  # a paired mixer (registry MIXERS, openmixosr/models/paired_mixers)
    p_mix=0.5,
    # Each loss carries its weight (loss_weight): mu of Eq. 8 is cmi_loss.loss_weight, eta is relabel_loss.loss_weight.
    kd_loss=dict(type='DISTLoss', tau=1.0, beta=1.0, gamma=1.0, loss_weight=1.0),
    cmi_loss=dict(type='CrossMutualInformationLoss', loss_weight=1.0),
    relabel_loss=dict(type='RelabelLoss', smoothing=True, loss_weight=1.0),
    kd_target='mixed',
    mixed_ce_weight=0.0,
    eval_network='student',
)
