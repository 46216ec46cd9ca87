# AMix-C on MoCo v2: AMix-I's pipeline, the Mix Block trained with mixup CE on k-means pseudo labels of the momentum
# embeddings + the non-parametric BCE on instance keys (AMix Sec. 3.3, Table 7 "CE (C)+BCE"); ClusterAssignmentHook
# re-assigns the pseudo labels every epoch.
_base_ = ['./amix_i_mocov2_resnet18_cifar.py']
model = dict(
    type='MoCoAMixCluster',
    num_clusters=100,
    mix_block_losses=dict(
        _delete_=True,
        ce=dict(type='MixupCrossEntropyLoss'),
        bce=dict(type='NonParametricMixupBCELoss', temperature=0.2)))
