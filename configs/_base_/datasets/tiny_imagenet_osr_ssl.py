# Self-supervised pre-training for the Tiny-ImageNet open-set benchmark: the views of tiny_imagenet_ssl.py, but only
# the training images of the 20 known classes of the split (labels unused), so that the unknown classes stay unseen.
_base_ = ['./tiny_imagenet_ssl.py']
split = 0
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='OpenSetDataset',
        source=dict(type='TinyImageNet', data_root={{_base_.data_root}}, split='train'),
        benchmark='tiny_imagenet',
        osr_split=split,
        pipeline={{_base_.train_pipeline}}))
