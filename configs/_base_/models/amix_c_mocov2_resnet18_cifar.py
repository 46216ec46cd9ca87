# AMix-C on MoCo v2: AMix-I's pipeline, the Mix Block trained with mixup CE + pairwise BCE on k-means pseudo labels
# of the momentum embeddings (ClusterAssignmentHook re-assigns them every epoch).
_base_ = ['./amix_i_mocov2_resnet18_cifar.py']
model = dict(
    type='MoCoAMixCluster',
    num_clusters=100,
    mix_block_ce=dict(type='MixupCrossEntropyLoss'),
    mix_block_bce=dict(_delete_=True, type='PairwiseMixupBCELoss'))
