# MoCo v2 (mmpretrain's `MoCo`: momentum encoder with m = 0.999, queue of negatives, 2-layer MLP neck, infoNCE with
# temperature 0.2) on the CIFAR-style ResNet-18: the self-supervised baseline of AMix-I / AMix-C. The data
# preprocessor (SelfSupDataPreprocessor with the dataset's statistics) comes from the dataset config.
model = dict(
    type='MoCo',
    queue_len=65536,
    feat_dim=128,
    momentum=0.001,  # mmpretrain's convention: the weight of the online network, i.e. m = 0.999
    backbone=dict(type='ResNet_CIFAR', depth=18, num_stages=4, out_indices=(3, ), style='pytorch'),
    neck=dict(type='MoCoV2Neck', in_channels=512, hid_channels=512, out_channels=128, with_avg_pool=True),
    head=dict(type='ContrastiveHead', loss=dict(type='CrossEntropyLoss'), temperature=0.2),
)
