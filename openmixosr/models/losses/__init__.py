from .mixup_losses import MixupCrossEntropyLoss, PairwiseMixupBCELoss, mixup_cross_entropy, pairwise_mixup_bce

__all__ = ['MixupCrossEntropyLoss', 'PairwiseMixupBCELoss', 'mixup_cross_entropy', 'pairwise_mixup_bce']
