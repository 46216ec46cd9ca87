from .contrastive_mixup_losses import (MixupInfoNCELoss, NonParametricMixupBCELoss, mixup_info_nce,
                                       non_parametric_mixup_bce, queue_info_nce)
from .cross_mutual_information import (BaseCrossMutualInformationLoss, CrossMutualInformationLoss,
                                       InfoNCECrossMutualInformationLoss, info_nce)
from .dist_loss import DISTLoss, dist_from_probabilities, dist_loss, pearson_correlation
from .mixup_losses import MixupCrossEntropyLoss, PairwiseMixupBCELoss, mixup_cross_entropy, pairwise_mixup_bce
from .relabel_loss import RelabelLoss, relabel_target
from .soft_target import soft_target_cross_entropy

__all__ = [
    'BaseCrossMutualInformationLoss', 'CrossMutualInformationLoss', 'DISTLoss', 'InfoNCECrossMutualInformationLoss',
    'MixupCrossEntropyLoss', 'MixupInfoNCELoss', 'NonParametricMixupBCELoss', 'PairwiseMixupBCELoss', 'RelabelLoss',
    'dist_from_probabilities', 'dist_loss', 'info_nce', 'mixup_cross_entropy', 'mixup_info_nce',
    'non_parametric_mixup_bce', 'pairwise_mixup_bce', 'pearson_correlation', 'queue_info_nce', 'relabel_target',
    'soft_target_cross_entropy'
]
