# Runtime of AMix-C: the self-supervised AMix runtime plus ClusterAssignmentHook (k-means pseudo labels, every epoch).
_base_ = ['./selfsup_mix_runtime.py']
default_hooks = dict(cluster_assignment=dict(type='ClusterAssignmentHook', interval=1))
