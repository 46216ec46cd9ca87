"""ResNeXt with the CIFAR stem, the ResNeXt-50 (32x4d) of the AutoMix / AMix CIFAR-100 experiments."""
from mmpretrain.models import ResNet_CIFAR, ResNeXt

from openmixosr.registry import MODELS


@MODELS.register_module()
class ResNeXt_CIFAR(ResNet_CIFAR, ResNeXt):
    """mmpretrain's ResNeXt blocks behind mmpretrain's CIFAR stem (3x3 stride-1 conv, no max-pool).

    Both parents are mmpretrain classes: ``ResNet_CIFAR`` supplies the stem and the forward pass, ``ResNeXt`` the
    grouped bottlenecks. ``ResNeXt_CIFAR(depth=50, groups=32, width_per_group=4)`` has 23.0M parameters.

    Args:
        depth (int): 50, 101 or 152.
        groups (int): Groups of the 3x3 convolutions. Defaults to 32.
        width_per_group (int): Width of each group. Defaults to 4.
        **kwargs: Other arguments of mmpretrain's ``ResNet`` (e.g. ``out_indices``).
    """

    def __init__(self, depth: int, groups: int = 32, width_per_group: int = 4, **kwargs):
        super().__init__(depth=depth, groups=groups, width_per_group=width_per_group, **kwargs)
