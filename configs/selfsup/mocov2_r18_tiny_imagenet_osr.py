# MoCo v2 pre-training for the Tiny-ImageNet open-set benchmark: only the training images of the 20 known classes of
# the split (labels unused), so that the unknown classes stay unseen; linear_eval/linear_r18_tiny_imagenet_osr.py.
_base_ = ['./mocov2_r18_tiny_imagenet.py']
split = 0
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='OpenSetDataset',
        source=dict(type='TinyImageNet', data_root={{_base_.data_root}}, split='train'),
        benchmark='tiny_imagenet',
        osr_split=split,
        pipeline={{_base_.train_pipeline}}))
