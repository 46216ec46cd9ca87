"""Transcription of the papers' result tables that OpenMixOSR's configs reproduce.

One :class:`PaperRow` per table row (and per column group where a table's columns are separate experiments, such as
AMix Table 8's SL and CL columns): the published numbers as the table prints them, the config that reproduces the row
and the component switches that *define* it. ``tests/test_paper_results.py`` builds every config named here and checks
each switch on the built model (or the config), checks that every row of a table marked complete is transcribed, and
that every config whose header names a paper table is either a row here or a declared variant of one.
``tools/analysis/paper_rows.py`` prints the transcription (``docs/paper_results.md`` is its output) and
``tools/reproduce_ablation.py`` prints the paper's numbers beside the measured ones from here.

Switch paths: ``model.a.b`` is read from the model built from the config, ``cfg.a.b`` from the config itself. A path
part reads an attribute or a key of a dict / ``ModuleDict`` (hooks by their ``default_hooks`` key, e.g.
``cfg.default_hooks.momentum_pipeline.momentum``) or, as a number, an item of a list
(``cfg.train_dataloader.dataset.pipeline.0.padding_mode``); ``type`` gives the class name of a built object and
``keys`` the sorted keys of a mapping. A row whose number is a linear-evaluation top-1 also names the linear-evaluation
config that produces it (``linear_evaluation``), checked against :data:`LINEAR_PROTOCOL`.

The papers:

- ``automix``: Liu et al., "AutoMix: Unveiling the Power of Mixup for Stronger Classifiers", ECCV 2022.
- ``amix``: Liu et al., "Improving Discriminative Visual Representation Learning via Automatic Mixup" (AMix).
- ``asym``: Jia et al., "Revealing the Two Sides of Data Augmentation: An Asymmetric Distillation-based Win-Win
  Solution for Open-Set Recognition", IJCAI 2024.
"""
from typing import Any, Dict, NamedTuple, Optional, Tuple

CONFIG = 'config'
PENDING = 'pending'
NOT_REPRODUCIBLE = 'not reproducible'
STATUSES = (CONFIG, PENDING, NOT_REPRODUCIBLE)

PAPERS = dict(
    automix='AutoMix (Liu et al., ECCV 2022)',
    amix='AMix (Liu et al., Automatic Mixup)',
    asym='Asymmetric distillation for OSR (Jia et al., IJCAI 2024)',
)


class PaperTable(NamedTuple):
    """A table of a paper: what it reports and whether every one of its rows is transcribed."""
    paper: str
    table: str
    caption: str
    metrics: Tuple[str, ...]
    complete: bool
    num_rows: Optional[int] = None  # rows x column groups as transcribed, for complete tables


class PaperRow(NamedTuple):
    """One row (or one column group of a row) of a paper table.

    Attributes:
        id (str): ``paper.table.row[.column]``, unique.
        paper (str): Key of :data:`PAPERS`.
        table (str): Table number as printed.
        row (str): Row name as printed.
        column (str): Column group ('' when the row is one experiment).
        results (dict): Published numbers, in %, keyed by metric (``accuracy``, ``auroc``, ``oscr``, ``top1``,
            ``linear_top1``; ``<column>/<metric>`` when one row spans several experiments).
        status (str): ``'config'`` (reproduced by ``config``), ``'pending'`` or ``'not reproducible'``.
        config (str, optional): Path of the config, relative to the repository root.
        defines (dict): Switch path -> value that define the row (see the module docstring).
        reason (str): Why a row has no config (pending / not reproducible), or a note on a config row.
        comparable (bool): Whether the config's numbers measure what the published ones measure; False when the
            config must use other data (the large-scale row's substitute unknown classes): tables then mark the
            published number and print ``reason``.
        linear_evaluation (str, optional): For a ``linear_top1`` row with a config (a pre-training): the
            linear-evaluation config that trains the linear head on its last checkpoint
            (``tools/linear_eval_table.py``); it has the switches of :data:`LINEAR_PROTOCOL`.
    """
    id: str
    paper: str
    table: str
    row: str
    column: str
    results: Dict[str, float]
    status: str
    config: Optional[str] = None
    defines: Dict[str, Any] = {}
    reason: str = ''
    comparable: bool = True
    linear_evaluation: Optional[str] = None


# ---------------------------------------------------------------------------------------------------------------------
# Switches shared by many rows.

# AutoMix Sec. 4.1 / AMix Sec. 4 report per run "the median of top-1 test accuracy in the last 10 training epochs":
# the loop validates after each of them (openmixosr.evaluation.median_of_last_epochs forms the statistic).
MEDIAN_OF_LAST_EPOCHS = {'cfg.train_cfg.type': 'LastEpochsValTrainLoop'}
# AMix Sec. 4.1: "RandomFlip and RandomCrop with 4 pixels reflect padding" on CIFAR-100 (AutoMix Sec. 4.1 says "4
# pixels padding"; the authors' OpenMixup CIFAR-100 pipeline, shared by every mixup method, pads by reflection).
# PaddingModeRandomCrop: mmpretrain's RandomCrop ignores padding_mode for its `padding`.
CIFAR100_REFLECT_PADDING = {'cfg.train_dataloader.dataset.pipeline.0.type': 'PaddingModeRandomCrop',
                            'cfg.train_dataloader.dataset.pipeline.0.padding': 4,
                            'cfg.train_dataloader.dataset.pipeline.0.padding_mode': 'reflect'}
AUTOMIX_RECIPE_CIFAR100 = {'cfg.train_cfg.max_epochs': 800, 'cfg.optim_wrapper.optimizer.lr': 0.1,
                           'cfg.optim_wrapper.optimizer.weight_decay': 1e-4, 'cfg.train_dataloader.batch_size': 100,
                           'model.head.num_classes': 100, **CIFAR100_REFLECT_PADDING, **MEDIAN_OF_LAST_EPOCHS}
AUTOMIX_RECIPE_TINY = {'cfg.train_cfg.max_epochs': 400, 'cfg.optim_wrapper.optimizer.lr': 0.2,
                       'cfg.optim_wrapper.optimizer.weight_decay': 1e-4, 'cfg.train_dataloader.batch_size': 100,
                       'model.head.num_classes': 200, **MEDIAN_OF_LAST_EPOCHS}
# alpha of lam ~ Beta(alpha, alpha). AutoMix Sec. 4.1: "alpha = 2" in every AutoMix experiment.
AUTOMIX_ALPHA = 2.0
# Supervised AMix: 2 as well. AMix Sec. 4.1 reads "grid search is performed for hyper-parameters of all mixup
# algorithms, alpha in {0.2, 0.5, 1.0, 2.0, 4.0}. The default setting is alpha = 1 and other hyper-parameters follow
# the original paper. Following AutoMix, ...": we read that alpha = 1 as the default of the compared methods (whose
# other hyper-parameters "follow the original paper"). For AMix itself, Sec. 4.3 (d) "empirically choose alpha = 2.0
# ... as default" after its alpha ablation, AMix follows AutoMix (alpha = 2), and the authors' released supervised
# AMix configs (OpenMixup's SAMix, '_a2_' in every file name) use 2. The other reading: --cfg-options
# model.mixer.alpha=1.0.
AMIX_SUPERVISED_ALPHA = 2.0
MOMENTUM_PIPELINE = {'model.mixer.type': 'LearnedMaskMixer', 'model.mixer.mix_layer': 'layer3',
                     'model.mixer.feature_norm': 'none', 'model.eval_network': 'momentum',
                     'model.mixer.mix_block.mask_loss_weight': 0.1,  # the start weight, which the hook decays
                     'cfg.default_hooks.momentum_pipeline.momentum': 0.999,
                     'cfg.default_hooks.momentum_pipeline.end_momentum': 1.0,
                     'cfg.default_hooks.mask_loss_schedule.end_mask_loss_weight': 0.0,
                     'cfg.default_hooks.mask_loss_schedule.mask_loss_schedule': 'linear'}
AUTOMIX_MODEL = {'model.type': 'AutoMix', 'model.mixer.mix_block.type': 'MixBlock',
                 'model.mixer.mix_block.upsample': 'nearest', 'model.mixer.mix_block.lam_margin': 0.1,
                 'model.mixer.objective.type': 'MixupCrossEntropyLoss', 'model.mixer.alpha': AUTOMIX_ALPHA,
                 **MOMENTUM_PIPELINE}
MIX_BLOCK_PLUS_SWITCHES = ('lam_encoding', 'nonlinear_value', 'global_attention', 'variance_loss', 'upsample',
                           'lam_adjust')
AMIX_SUPERVISED_BLOCK = dict(lam_encoding='adaptive', nonlinear_value=True, global_attention=True,
                             variance_loss=True, upsample='bilinear', lam_adjust=False)
AMIX_SELFSUP_BLOCK = dict(AMIX_SUPERVISED_BLOCK, lam_adjust=True)


def mix_block_plus(**switches) -> Dict[str, Any]:
    """Switch paths of a Mix Block+ with the given module switches."""
    return {'model.mixer.mix_block.type': 'MixBlockPlus',
            **{f'model.mixer.mix_block.{k}': v for k, v in switches.items()}}


AMIX_SUPERVISED = {'model.type': 'AutoMix', **mix_block_plus(**AMIX_SUPERVISED_BLOCK),
                   'model.mixer.objective.type': 'MixupCrossEntropyLoss', 'model.mixer.alpha': AMIX_SUPERVISED_ALPHA,
                   **MOMENTUM_PIPELINE}
NP_BCE = 'NonParametricMixupBCELoss'
AMIX_I_OBJECTIVE = {'model.type': 'MoCoAMix', 'model.mix_block_losses.keys': ['bce', 'infonce'],
                    'model.mix_block_losses.infonce.type': 'MixupInfoNCELoss',
                    'model.mix_block_losses.bce.type': NP_BCE}
AMIX_C_OBJECTIVE = {'model.type': 'MoCoAMixCluster', 'model.mix_block_losses.keys': ['bce', 'ce'],
                    'model.mix_block_losses.ce.type': 'MixupCrossEntropyLoss',
                    'model.mix_block_losses.bce.type': NP_BCE}

# AMix Sec. 4.2, linear classification: "We train 100 epochs using SGD with a batch size of 256. The initialized
# learning rate is set to 0.1 for Tiny ImageNet and STL-10 ... and decay by 0.1 at epoch 30 and 60", on the frozen
# backbone. Checked on the `linear_evaluation` config of every linear_top1 row.
LINEAR_PROTOCOL = {'cfg.train_cfg.max_epochs': 100, 'cfg.train_dataloader.batch_size': 256,
                   'cfg.optim_wrapper.optimizer.type': 'SGD', 'cfg.optim_wrapper.optimizer.lr': 0.1,
                   'cfg.param_scheduler.0.type': 'MultiStepLR', 'cfg.param_scheduler.0.milestones': [30, 60],
                   'cfg.param_scheduler.0.gamma': 0.1, 'model.backbone.frozen_stages': 4}
LINEAR_STL10 = 'configs/selfsup/linear_eval/linear_r18_stl10.py'
LINEAR_TINY = 'configs/selfsup/linear_eval/linear_r18_tiny_imagenet.py'

OSR_RECIPE = {'cfg.train_cfg.max_epochs': 200, 'cfg.train_dataloader.batch_size': 32,
              'cfg.optim_wrapper.optimizer.lr': 0.1, 'cfg.optim_wrapper.optimizer.momentum': 0.9,
              'cfg.optim_wrapper.optimizer.weight_decay': 5e-4}
ASYM_FULL = {'model.type': 'AsymmetricDistiller', 'model.teacher.backbone.depth': 50,
             'model.mixer.type': 'PairedCutMix',
             'model.mixer.alpha': 1.0, 'model.p_mix': 0.5, 'model.kd_loss.type': 'DISTLoss',
             'model.kd_loss.loss_weight': 1.0, 'model.cmi_loss.type': 'CrossMutualInformationLoss',
             'model.cmi_loss.loss_weight': 1.0, 'model.relabel_loss.type': 'RelabelLoss',
             'model.relabel_loss.smoothing': True, 'model.relabel_loss.loss_weight': 1.0, 'model.kd_target': 'mixed',
             'model.mixed_ce_weight': 0.0, 'model.eval_network': 'student', **OSR_RECIPE}
ASYM_R18 = {**ASYM_FULL, 'model.student.backbone.depth': 18}


def without(defines: Dict[str, Any], *prefixes: str) -> Dict[str, Any]:
    """``defines`` less the switches under the given path prefixes (a term the row drops)."""
    return {path: value for path, value in defines.items() if not path.startswith(prefixes)}


# The Semantic Shift Benchmark follows AGC's recipe (Vaze et al. 2022): ImageNet-style ResNet-50 from Places MoCo v2
# weights, 448 px, 600 epochs of SGD lr 0.001 with cosine warm restarts, batch 32; Easy and Hard evaluated together.
NAMED_UNKNOWN_SETS = {'cfg.val_evaluator.unknown_sets': ('easy', 'hard'),
                      'cfg.val_dataloader.dataset.unknown_sets': ('easy', 'hard')}
AGC_RECIPE = {'cfg.train_cfg.max_epochs': 600, 'cfg.train_dataloader.batch_size': 32,
              'cfg.optim_wrapper.optimizer.lr': 0.001, 'cfg.optim_wrapper.optimizer.weight_decay': 1e-4,
              'cfg.image_size': 448, **NAMED_UNKNOWN_SETS}
AGC_CE = {'model.type': 'OpenSetClassifier', 'model.backbone.type': 'ResNet', 'model.backbone.depth': 50,
          'model.backbone.init_cfg.type': 'SafePretrained', 'model.head.loss_module.type': 'LabelSmoothLoss',
          **AGC_RECIPE}
ASYM_SSB = {**without(ASYM_FULL, 'cfg.'), 'model.student.backbone.type': 'ResNet',
            'model.student.backbone.depth': 50, 'model.teacher.backbone.type': 'ResNet', **AGC_RECIPE}

TINY_OSR = {'cfg.num_classes': 20}

OTHER_METHOD = 'another method: not implemented in this toolkit'

# ---------------------------------------------------------------------------------------------------------------------
# Tables.

TABLES = (
    PaperTable('asym', '2', 'OSR benchmark: closed-set accuracy and AUROC (the paper does not say how the 5 published '
               'splits are aggregated; we compare with the mean over them)', ('accuracy', 'auroc'), complete=True,
               num_rows=13),
    PaperTable('asym', '3', 'Semantic Shift Benchmark: accuracy, AUROC and OSCR on Easy / Hard unknown classes',
               ('accuracy', 'auroc', 'oscr'), complete=True, num_rows=7),
    PaperTable('asym', '4', 'Large-scale benchmark: Tiny-ImageNet (200 classes) against ImageNet-21K Easy / Hard',
               ('auroc', 'oscr'), complete=True, num_rows=7),
    PaperTable('asym', '5', 'MobileNet-V2 on Tiny-ImageNet', ('accuracy', 'auroc'), complete=True, num_rows=3),
    PaperTable('asym', '6', 'Ablation of the proposed terms on Tiny-ImageNet', ('accuracy', 'auroc'), complete=True,
               num_rows=5),
    PaperTable('asym', '7', 'mu / eta grid on Tiny-ImageNet', ('accuracy', 'auroc'), complete=True, num_rows=9),
    PaperTable('amix', '7', 'Ablation of the Mix Block objective (self-supervised, linear top-1)', ('linear_top1', ),
               complete=True, num_rows=14),
    PaperTable('amix', '8', 'Ablation of the Mix Block+ modules on Tiny-ImageNet (SL top-1, CL linear top-1)',
               ('top1', 'linear_top1'), complete=True, num_rows=14),
    PaperTable('amix', '2', 'Supervised top-1 on CIFAR-100, CUB-200, FGVC-Aircraft (AMix row)', ('top1', ),
               complete=False),
    PaperTable('amix', '3', 'Supervised top-1 on Tiny-ImageNet and ImageNet-1k (AMix row)', ('top1', ),
               complete=False),
    PaperTable('amix', '4', 'Linear top-1 on STL-10 (MoCo v2, AMix-I, AMix-C rows)', ('linear_top1', ),
               complete=False),
    PaperTable('amix', '5', 'Linear top-1 on Tiny-ImageNet and ImageNet-1k (MoCo v2, AMix-I, AMix-C rows)',
               ('linear_top1', ), complete=False),
    PaperTable('automix', '1', 'Small-scale classification top-1 (AutoMix row)', ('top1', ), complete=False),
)


def _row(id, paper, table, row, results, config=None, defines=None, column='', status=None, reason='',
         comparable=True, linear_evaluation=None):
    status = status or (CONFIG if config else NOT_REPRODUCIBLE)
    return PaperRow(id, paper, table, row, column, results, status, config, defines or {}, reason, comparable,
                    linear_evaluation)


# Asymmetric distillation, Table 2 (OSR benchmark). The paper does not state how the 5 published splits are aggregated;
# we read each cell as the mean over them (ours; run every split with `--cfg-options split=K`). '-' cells are left out.
_T2_DATA = (('svhn', 'SVHN', 'r18_svhn', 6), ('cifar10', 'CIFAR-10', 'r18_cifar10', 6),
            ('cifar_plus10', 'CIFAR+10', 'r18_cifar_plus10', 4), ('cifar_plus50', 'CIFAR+50', 'r18_cifar_plus50', 4),
            ('tiny', 'TinyImageNet', 'r18_tiny', 20))
_T2_OTHERS = (
    ('crosr', 'CROSR (CVPR, 2019)', dict(svhn=(None, 89.9), cifar10=(None, 88.3), cifar_plus10=(None, 91.2),
                                         cifar_plus50=(None, 90.5), tiny=(None, 58.9))),
    ('c2ae', 'C2AE (CVPR, 2019)', dict(svhn=(None, 92.2), cifar10=(None, 89.5), cifar_plus10=(None, 95.5),
                                       cifar_plus50=(None, 93.7), tiny=(None, 74.8))),
    ('rpl', 'RPL (ECCV, 2020)', dict(svhn=(None, 93.4), cifar10=(None, 82.7), cifar_plus10=(None, 84.2),
                                     cifar_plus50=(None, 83.2), tiny=(None, 68.8))),
    ('arpl_cs', 'ARPL+CS (TPAMI, 2021)', dict(svhn=(None, 96.7), cifar10=(None, 91.0), cifar_plus10=(None, 97.1),
                                              cifar_plus50=(None, 95.1), tiny=(None, 78.2))),
    ('cssr', 'CSSR (TPAMI, 2022)', dict(svhn=(None, 97.9), cifar10=(None, 91.3), cifar_plus10=(None, 96.3),
                                        cifar_plus50=(None, 96.2), tiny=(None, 82.3))),
    ('agc', 'AGC (ICLR, 2022)', dict(svhn=(97.6, 97.1), cifar10=(96.4, 93.6), cifar_plus10=(97.8, 97.9),
                                     cifar_plus50=(97.8, 96.5), tiny=(84.6, 82.7))),
    ('openmix', 'OpenMix+ (TCSVT, 2023)', dict(cifar10=(95.3, 86.9), cifar_plus10=(96.8, 93.1),
                                               cifar_plus50=(96.8, 92.5), tiny=(58.4, 75.1))),
    ('cmpkd', 'CMPKD (NIPS, 2022)', dict(svhn=(97.6, 92.1), cifar10=(96.8, 84.1), cifar_plus10=(97.8, 95.0),
                                         cifar_plus50=(97.8, 91.9), tiny=(86.9, 82.5))),
)
_T2_OURS = dict(svhn=(97.7, 97.2), cifar10=(96.9, 94.0), cifar_plus10=(98.0, 98.1), cifar_plus50=(98.0, 96.8),
                tiny=(87.3, 85.3))


def _pairs(cells: dict) -> Dict[str, float]:
    results = {}
    for column, (accuracy, auroc) in cells.items():
        if accuracy is not None:
            results[f'{column}/accuracy'] = accuracy
        results[f'{column}/auroc'] = auroc
    return results


ASYM_ROWS = [
    _row(f'asym.t2.{key}', 'asym', '2', name, _pairs(cells), reason=OTHER_METHOD) for key, name, cells in _T2_OTHERS
] + [
    _row(f'asym.t2.ours.{key}', 'asym', '2', 'Ours', dict(accuracy=_T2_OURS[key][0], auroc=_T2_OURS[key][1]),
         config=f'configs/asym/{config}.py', column=column, defines={**ASYM_R18, 'cfg.num_classes': known})
    for key, column, config, known in _T2_DATA
] + [
    # Table 3: Semantic Shift Benchmark (the configs arrive with the SSB issue).
    _row('asym.t3.arpl', 'asym', '3', 'ARPL (TPAMI, 2021)',
         {'cub/accuracy': 85.9, 'cub/auroc_easy': 83.5, 'cub/auroc_hard': 75.5, 'cub/oscr_easy': 76.0,
          'cub/oscr_hard': 69.6, 'scars/accuracy': 96.9, 'scars/auroc_easy': 94.8, 'scars/auroc_hard': 83.6,
          'scars/oscr_easy': 92.8, 'scars/oscr_hard': 82.3, 'aircraft/accuracy': 91.5, 'aircraft/auroc_easy': 87.0,
          'aircraft/auroc_hard': 77.7, 'aircraft/oscr_easy': 83.3, 'aircraft/oscr_hard': 74.9}, reason=OTHER_METHOD),
] + [
    # AGC = plain CE with label smoothing and the MLS score, trained with its recipe: our CE baselines of Table 3.
    _row(f'asym.t3.agc.{key}', 'asym', '3', 'AGC (ICLR, 2022)',
         dict(accuracy=acc, auroc_easy=ae, auroc_hard=ah, oscr_easy=oe, oscr_hard=oh), column=column,
         config=f'configs/baselines/ce_r50_ssb_{key}.py',
         defines={**AGC_CE, 'cfg.num_classes': known, 'cfg.label_smoothing': smoothing,
                  'model.head.loss_module.label_smooth_val': smoothing * known / (known - 1)},
         reason='AGC publishes no Stanford Cars recipe: its CUB values' if key == 'scars' else '')
    for key, column, known, smoothing, (acc, ae, ah, oe, oh) in (
        ('cub', 'CUB', 100, 0.3, (86.2, 88.3, 79.3, 79.8, 73.1)),
        ('scars', 'SCars', 98, 0.3, (97.1, 94.0, 82.2, 92.2, 81.1)),
        ('aircraft', 'FGVC-Aircraft', 50, 0.2, (91.7, 90.7, 82.3, 86.8, 79.8)))
] + [
    _row(f'asym.t3.ours.{key}', 'asym', '3', 'Ours',
         dict(accuracy=acc, auroc_easy=ae, auroc_hard=ah, oscr_easy=oe, oscr_hard=oh), column=column,
         config=f'configs/asym/r50_ssb_{key}.py', defines={**ASYM_SSB, 'cfg.num_classes': known},
         reason='OUR departure from the paper\'s Sec. 4.1, whose default pair is ResNet-50 -> ResNet-18 with its OSR '
                f'recipe (configs/asym/r18_ssb_{key}.py): a ResNet-50 student from the teacher\'s Places MoCo v2 '
                'weights with AGC\'s recipe, which Sec. 4.3 follows (docs: a ResNet-18 from scratch at 448 px is far '
                'from the printed accuracies)')
    for key, column, known, (acc, ae, ah, oe, oh) in (('cub', 'CUB', 100, (87.6, 89.6, 82.0, 81.4, 75.8)),
                                                    ('scars', 'SCars', 98, (96.9, 95.5, 84.9, 93.3, 83.5)),
                                                    ('aircraft', 'FGVC-Aircraft', 50, (91.1, 90.1, 83.5, 86.2, 80.9)))
] + [
    # Table 4: large-scale benchmark.
    _row(f'asym.t4.{key}', 'asym', '4', name, dict(auroc_easy=ae, oscr_easy=oe, auroc_hard=ah, oscr_hard=oh),
         column=backbone, reason=OTHER_METHOD)
    for key, name, backbone, (ae, oe, ah, oh) in (
        ('arpl', 'ARPL', 'VGG32', (51.4, 33.8, 52.4, 34.4)), ('agc', 'AGC', 'VGG32', (72.8, 44.1, 72.1, 43.8)),
        ('clip', 'CLIP', 'ViT-B/32', (72.9, 44.0, 72.3, 43.6)), ('coop', 'CoOp', 'ViT-B/32', (74.6, 54.3, 73.3, 53.3)),
        ('a2pt', 'A^2Pt', 'ViT-B/32', (76.6, 58.7, 74.7, 57.4)))
] + [
    _row('asym.t4.ours.r18', 'asym', '4', 'Ours', dict(auroc_easy=77.1, oscr_easy=60.8, auroc_hard=75.7,
                                                        oscr_hard=60.1), column='ResNet18',
         config='configs/asym/r18_tiny_in21k.py', defines={**ASYM_R18, 'cfg.num_classes': 200, **NAMED_UNKNOWN_SETS},
         reason="SUBSTITUTE unknown classes: the Semantic Shift Benchmark's ImageNet-21K-P Easy / Hard lists; the "
                "paper's own lists (Ren et al. 2023) are not available here", comparable=False),
    _row('asym.t4.ours.vit', 'asym', '4', 'Ours', dict(auroc_easy=79.3, oscr_easy=64.8, auroc_hard=75.7,
                                                        oscr_hard=62.8), column='ViT-B/32',
         reason='ViT-B/32 student: no ViT configs in this toolkit (the paper gives no recipe for it)'),
    # Table 5: MobileNet-V2.
    _row('asym.t5.agc_vgg32', 'asym', '5', 'AGC', dict(accuracy=84.64, auroc=82.68), column='VGG-32',
         reason=OTHER_METHOD),
    _row('asym.t5.agc_mbv2', 'asym', '5', 'AGC', dict(accuracy=82.46, auroc=80.68), column='MobileNet-V2',
         reason=OTHER_METHOD),
    _row('asym.t5.ours_mbv2', 'asym', '5', 'Ours', dict(accuracy=85.70, auroc=83.32), column='MobileNet-V2',
         config='configs/asym/mbv2_tiny.py',
         defines={**ASYM_FULL, 'model.student.backbone.type': 'MobileNetV2',
                  'model.student.backbone.widen_factor': 1.0, **TINY_OSR}),
    # Table 6: ablation on Tiny-ImageNet.
    _row('asym.t6.resnet18', 'asym', '6', 'ResNet-18', dict(accuracy=84.3, auroc=82.8),
         config='configs/baselines/ce_r18_tiny_imagenet.py',
         defines={'model.type': 'OpenSetClassifier', 'model.backbone.depth': 18,
                  'model.mixer': None, **OSR_RECIPE, **TINY_OSR}),
    _row('asym.t6.a', 'asym', '6', '(a) CutMix', dict(accuracy=87.4, auroc=81.0),
         config='configs/baselines/cutmix_r18_tiny_imagenet.py',
         defines={'model.type': 'OpenSetClassifier', 'model.backbone.depth': 18,
                  'model.mixer.type': 'PairedCutMix', 'model.mixer.alpha': 1.0,
                  **OSR_RECIPE, **TINY_OSR}),
    _row('asym.t6.b', 'asym', '6', '(b) CutMix + Distillation', dict(accuracy=88.8, auroc=82.5),
         config='configs/asym/ablation/r18_tiny_t6_b_cutmix_kd.py',
         defines={**without(ASYM_R18, 'model.cmi_loss.', 'model.relabel_loss.'), 'model.cmi_loss': None,
                  'model.relabel_loss': None, **TINY_OSR}),
    _row('asym.t6.c', 'asym', '6', '(c) + CMI', dict(accuracy=87.8, auroc=84.8),
         config='configs/asym/ablation/r18_tiny_t6_c_cmi.py',
         defines={**without(ASYM_R18, 'model.relabel_loss.'), 'model.relabel_loss': None, **TINY_OSR}),
    _row('asym.t6.d', 'asym', '6', '(d) + Smoothed two-hot label', dict(accuracy=87.3, auroc=85.3),
         config='configs/asym/r18_tiny.py', defines={**ASYM_R18, **TINY_OSR},
         reason='the full method: the same row as Table 2, Ours, TinyImageNet'),
]

# Table 7: the mu / eta grid (rows eta, columns mu), Tiny-ImageNet.
_T7_GRID = {(0.5, 0.5): (87.7, 85.1), (1.0, 0.5): (87.6, 85.0), (2.0, 0.5): (87.4, 85.0),
            (0.5, 1.0): (87.3, 84.9), (1.0, 1.0): (87.3, 85.3), (2.0, 1.0): (87.5, 85.1),
            (0.5, 2.0): (86.8, 84.9), (1.0, 2.0): (87.3, 84.7), (2.0, 2.0): (87.5, 84.9)}
_TAG = {0.5: '05', 1.0: '1', 2.0: '2'}
ASYM_ROWS += [
    _row(f'asym.t7.mu{_TAG[mu]}_eta{_TAG[eta]}', 'asym', '7', f'eta = {eta}', dict(accuracy=acc, auroc=auroc),
         column=f'mu = {mu}',
         config='configs/asym/r18_tiny.py' if mu == eta == 1.0 else
         f'configs/asym/ablation/r18_tiny_t7_mu{_TAG[mu]}_eta{_TAG[eta]}.py',
         defines={**ASYM_R18, 'model.cmi_loss.loss_weight': mu, 'model.relabel_loss.loss_weight': eta, **TINY_OSR})
    for (mu, eta), (acc, auroc) in _T7_GRID.items()
]

# AMix Table 7: the Mix Block objective (self-supervised; linear top-1). Its STL-10 numbers (85.25-85.60) are those of
# 400 epochs of pre-training (AMix Table 4: 400 epochs 85.37 / 85.56, 800 epochs 88.58 / 88.63), so the STL-10 rows
# pre-train 400 epochs. The paper is inconsistent there: for the same setting (AMix-I / AMix-C, R-18, STL-10, 400
# epochs) Table 4 prints 85.37 / 85.56 and Table 7 85.44 ("infoNCE+BCE") / 85.60 ("CE (C)+BCE"); Table 4's values
# are Table 7's "infoNCE" and "CE (C)" rows. Both are transcribed as printed, on the same configs.
T4_T7_INCONSISTENT = ('AMix Table 4 (R18 400ep) and Table 7 (STL-10) print different numbers for this setting '
                      '(85.37 / 85.44 for AMix-I, 85.56 / 85.60 for AMix-C): the paper is inconsistent; both are '
                      'transcribed, on the same config')
_AMIX_T7 = (
    ('1_bce', 'BCE', 'i', {'model.type': 'MoCoAMix', 'model.mix_block_losses.keys': ['bce'],
                           'model.mix_block_losses.bce.type': NP_BCE}, 85.25, 41.28),
    ('2_infonce', 'infoNCE', 'i', {'model.type': 'MoCoAMix', 'model.mix_block_losses.keys': ['infonce'],
                                   'model.mix_block_losses.infonce.type': 'MixupInfoNCELoss'}, 85.37, 41.90),
    ('3_infonce_bce', 'infoNCE+BCE', 'i', AMIX_I_OBJECTIVE, 85.44, 41.97),
    ('4_pbce_c', 'pBCE (C)', 'c', {'model.type': 'MoCoAMixCluster', 'model.mix_block_losses.keys': ['pbce'],
                                   'model.mix_block_losses.pbce.type': 'PairwiseMixupBCELoss'}, 85.45, 42.18),
    ('5_ce_c', 'CE (C)', 'c', {'model.type': 'MoCoAMixCluster', 'model.mix_block_losses.keys': ['ce'],
                               'model.mix_block_losses.ce.type': 'MixupCrossEntropyLoss'}, 85.56, 42.36),
    ('6_ce_c_infonce', 'CE (C)+infoNCE', 'c', {'model.type': 'MoCoAMixCluster',
                                               'model.mix_block_losses.keys': ['ce', 'infonce'],
                                               'model.mix_block_losses.ce.type': 'MixupCrossEntropyLoss',
                                               'model.mix_block_losses.infonce.type': 'MixupInfoNCELoss'},
     85.41, 42.12),
    ('7_ce_c_bce', 'CE (C)+BCE', 'c', AMIX_C_OBJECTIVE, 85.60, 42.53),
)


def _amix_t7_config(dataset: str, name: str, kind: str) -> str:
    if dataset == 'tiny_imagenet' and name in ('3_infonce_bce', '7_ce_c_bce'):
        return f'configs/selfsup/amix_{kind}_r18_tiny_imagenet.py'
    return f'configs/selfsup/ablation/amix_r18_{dataset}_t7_{name}.py'


AMIX_ROWS = [
    _row(f'amix.t7.{name}.{dataset}', 'amix', '7', row, dict(linear_top1=stl if dataset == 'stl10' else tiny),
         column='STL-10' if dataset == 'stl10' else 'Tiny', config=_amix_t7_config(dataset, name, kind),
         defines={**defines, **mix_block_plus(**AMIX_SELFSUP_BLOCK),
                  'cfg.train_cfg.max_epochs': 400 if dataset == 'stl10' else 800},
         reason=T4_T7_INCONSISTENT if dataset == 'stl10' and name in ('3_infonce_bce', '7_ce_c_bce') else '',
         linear_evaluation=LINEAR_STL10 if dataset == 'stl10' else LINEAR_TINY)
    for name, row, kind, defines, stl, tiny in _AMIX_T7 for dataset in ('stl10', 'tiny_imagenet')
]

# AMix Table 8: Mix Block+ modules, added in the paper's order, Tiny-ImageNet ResNet-18.
_AMIX_T8 = (
    ('1_mixblock', 'MixBlock (baseline)', dict(lam_encoding='concat', nonlinear_value=False, global_attention=False,
                                               variance_loss=False, upsample='nearest', lam_adjust=False),
     67.33, 41.25),
    ('2_adaptive_lam', '+Adaptive lam', dict(lam_encoding='adaptive', nonlinear_value=False, global_attention=False,
                                             variance_loss=False, upsample='nearest', lam_adjust=False), 67.85, 41.62),
    ('3_nonlinear_content', '+Non-linear content', dict(lam_encoding='adaptive', nonlinear_value=True,
                                                        global_attention=False, variance_loss=False,
                                                        upsample='nearest', lam_adjust=False), 68.08, 41.96),
    ('4_global_attention', '+Global attention', dict(lam_encoding='adaptive', nonlinear_value=True,
                                                     global_attention=True, variance_loss=False, upsample='nearest',
                                                     lam_adjust=False), 68.34, 42.10),
    ('5_mask_loss', '+L_mask', dict(lam_encoding='adaptive', nonlinear_value=True, global_attention=True,
                                    variance_loss=True, upsample='nearest', lam_adjust=False), 68.42, 42.17),
    ('6_bilinear', '+Bilinear', dict(AMIX_SUPERVISED_BLOCK), 68.56, 42.28),
    ('7_lam_adjust', '+lam adjusting', dict(AMIX_SELFSUP_BLOCK), 68.37, 42.53),
)
AMIX_ROWS += [
    _row(f'amix.t8.{name}.sl', 'amix', '8', row, dict(top1=sl), column='SL',
         config=f'configs/amix/ablation/amix_r18_tiny_imagenet_t8_{name}.py',
         defines={'model.type': 'AutoMix', **mix_block_plus(**switches),
                  'model.mixer.objective.type': 'MixupCrossEntropyLoss', 'model.mixer.alpha': AMIX_SUPERVISED_ALPHA,
                  **MOMENTUM_PIPELINE, **AUTOMIX_RECIPE_TINY})
    for name, row, switches, sl, _ in _AMIX_T8
] + [
    _row(f'amix.t8.{name}.cl', 'amix', '8', row, dict(linear_top1=cl), column='CL',
         config=f'configs/selfsup/ablation/amix_c_r18_tiny_imagenet_t8_{name}.py',
         defines={**AMIX_C_OBJECTIVE, **mix_block_plus(**switches), 'model.num_clusters': 200},
         reason='CL = AMix-C (its last row, 42.53, is AMix-C in AMix Table 5); the paper does not name the CL model',
         linear_evaluation=LINEAR_TINY)
    for name, row, switches, _, cl in _AMIX_T8
]

# AMix headline rows (Tables 2-5): the AMix rows and the MoCo v2 baseline where a config exists.
AMIX_ROWS += [
    _row('amix.t2.amix.cifar100_r18', 'amix', '2', 'AMix (ours)', dict(top1=82.20), column='CIFAR-100 R-18',
         config='configs/amix/amix_r18_cifar100.py', defines={**AMIX_SUPERVISED, **AUTOMIX_RECIPE_CIFAR100}),
    _row('amix.t2.amix.cifar100_rx50', 'amix', '2', 'AMix (ours)', dict(top1=84.07), column='CIFAR-100 RX-50',
         config='configs/amix/amix_rx50_cifar100.py',
         defines={**AMIX_SUPERVISED, 'model.backbone.type': 'ResNeXt_CIFAR', **AUTOMIX_RECIPE_CIFAR100}),
    _row('amix.t2.amix.fine_grained', 'amix', '2', 'AMix (ours)',
         {'cub/r18': 81.11, 'cub/rx50': 86.83, 'aircraft/r18': 82.15, 'aircraft/rx50': 86.80},
         column='CUB-200, FGVC-Aircraft',
         reason='fine-grained datasets fine-tuned from ImageNet-pretrained weights: no such configs here'),
    _row('amix.t3.amix.tiny_r18', 'amix', '3', 'AMix (Ours)', dict(top1=68.56), column='Tiny ImageNet R-18',
         config='configs/amix/amix_r18_tiny_imagenet.py', defines={**AMIX_SUPERVISED, **AUTOMIX_RECIPE_TINY},
         reason='equals AMix Table 8 "+Bilinear" (SL): the supervised setting has no lam adjusting'),
    _row('amix.t3.amix.tiny_rx50', 'amix', '3', 'AMix (Ours)', dict(top1=72.12), column='Tiny ImageNet RX-50',
         config='configs/amix/amix_rx50_tiny_imagenet.py',
         defines={**AMIX_SUPERVISED, 'model.backbone.type': 'ResNeXt_CIFAR', **AUTOMIX_RECIPE_TINY}),
    _row('amix.t3.amix.imagenet', 'amix', '3', 'AMix (Ours)',
         {'r18': 72.32, 'r34': 76.31, 'r50': 79.35, 'r101': 81.03}, column='ImageNet-1k',
         reason='ImageNet-1k: no configs here (no data offline, weeks of CPU)'),
    _row('amix.t4.mocov2.r18_800', 'amix', '4', 'MoCo.V2', dict(linear_top1=85.64), column='R18 800ep',
         config='configs/selfsup/mocov2_r18_stl10.py',
         defines={'model.type': 'MoCo', 'cfg.train_cfg.max_epochs': 800}, linear_evaluation=LINEAR_STL10),
    _row('amix.t4.amix_i.r18_400', 'amix', '4', 'AMix-I (Ours)', dict(linear_top1=85.37), column='R18 400ep',
         config='configs/selfsup/ablation/amix_r18_stl10_t7_3_infonce_bce.py',
         defines={**AMIX_I_OBJECTIVE, **mix_block_plus(**AMIX_SELFSUP_BLOCK), 'cfg.train_cfg.max_epochs': 400},
         reason=T4_T7_INCONSISTENT, linear_evaluation=LINEAR_STL10),
    _row('amix.t4.amix_i.r18_800', 'amix', '4', 'AMix-I (Ours)', dict(linear_top1=88.58), column='R18 800ep',
         config='configs/selfsup/amix_i_r18_stl10.py',
         defines={**AMIX_I_OBJECTIVE, **mix_block_plus(**AMIX_SELFSUP_BLOCK), 'cfg.train_cfg.max_epochs': 800},
         linear_evaluation=LINEAR_STL10),
    _row('amix.t4.amix_c.r18_400', 'amix', '4', 'AMix-C (Ours)', dict(linear_top1=85.56), column='R18 400ep',
         config='configs/selfsup/ablation/amix_r18_stl10_t7_7_ce_c_bce.py',
         defines={**AMIX_C_OBJECTIVE, **mix_block_plus(**AMIX_SELFSUP_BLOCK), 'cfg.train_cfg.max_epochs': 400},
         reason=T4_T7_INCONSISTENT, linear_evaluation=LINEAR_STL10),
    _row('amix.t4.amix_c.r18_800', 'amix', '4', 'AMix-C (Ours)', dict(linear_top1=88.63), column='R18 800ep',
         config='configs/selfsup/amix_c_r18_stl10.py',
         defines={**AMIX_C_OBJECTIVE, **mix_block_plus(**AMIX_SELFSUP_BLOCK), 'cfg.train_cfg.max_epochs': 800},
         linear_evaluation=LINEAR_STL10),
    _row('amix.t5.mocov2.tiny_r18', 'amix', '5', 'MoCo.V2', dict(linear_top1=38.29), column='Tiny ImageNet R18',
         config='configs/selfsup/mocov2_r18_tiny_imagenet.py', defines={'model.type': 'MoCo'},
         linear_evaluation=LINEAR_TINY),
    _row('amix.t5.amix_i.tiny_r18', 'amix', '5', 'AMix-I (Ours)', dict(linear_top1=41.97), column='Tiny ImageNet R18',
         config='configs/selfsup/amix_i_r18_tiny_imagenet.py',
         defines={**AMIX_I_OBJECTIVE, **mix_block_plus(**AMIX_SELFSUP_BLOCK)}, linear_evaluation=LINEAR_TINY),
    _row('amix.t5.amix_c.tiny_r18', 'amix', '5', 'AMix-C (Ours)', dict(linear_top1=42.53), column='Tiny ImageNet R18',
         config='configs/selfsup/amix_c_r18_tiny_imagenet.py',
         defines={**AMIX_C_OBJECTIVE, **mix_block_plus(**AMIX_SELFSUP_BLOCK), 'model.num_clusters': 200},
         linear_evaluation=LINEAR_TINY),
]

# AutoMix Table 1: the AutoMix row.
AUTOMIX_ROWS = [
    _row('automix.t1.automix.cifar100_r18', 'automix', '1', 'AutoMix', dict(top1=82.04), column='CIFAR-100 R-18',
         config='configs/automix/automix_r18_cifar100.py', defines={**AUTOMIX_MODEL, **AUTOMIX_RECIPE_CIFAR100}),
    _row('automix.t1.automix.cifar100_rx50', 'automix', '1', 'AutoMix', dict(top1=83.64), column='CIFAR-100 RX-50',
         config='configs/automix/automix_rx50_cifar100.py',
         defines={**AUTOMIX_MODEL, 'model.backbone.type': 'ResNeXt_CIFAR', **AUTOMIX_RECIPE_CIFAR100}),
    _row('automix.t1.automix.tiny_r18', 'automix', '1', 'AutoMix', dict(top1=67.33), column='Tiny-ImageNet R-18',
         config='configs/automix/automix_r18_tiny_imagenet.py', defines={**AUTOMIX_MODEL, **AUTOMIX_RECIPE_TINY},
         reason='the same number as AMix Table 8 "MixBlock (baseline)" (SL)'),
    _row('automix.t1.automix.tiny_rx50', 'automix', '1', 'AutoMix', dict(top1=70.72), column='Tiny-ImageNet RX-50',
         config='configs/automix/automix_rx50_tiny_imagenet.py',
         defines={**AUTOMIX_MODEL, 'model.backbone.type': 'ResNeXt_CIFAR', **AUTOMIX_RECIPE_TINY}),
    _row('automix.t1.automix.other', 'automix', '1', 'AutoMix',
         {'cifar10/r18': 97.34, 'cifar10/rx50': 97.65, 'cifar100/wrn28_8': 85.18},
         column='CIFAR-10, CIFAR-100 WRN-28-8',
         reason='no closed-set CIFAR-10 or Wide-ResNet configs here (the open-set CIFAR-10 configs differ)'),
]

ROWS: Tuple[PaperRow, ...] = tuple(ASYM_ROWS + AMIX_ROWS + AUTOMIX_ROWS)

# Configs that vary a paper row, saying whose variant they are in their headers (OURS, the authors' code, or the
# paper's own Sec. 4.1 setting): config -> the row they vary.
VARIANTS = {
    'configs/asym/ablation/r18_tiny_t6_b_cutmix_kd_mixup_ce.py': 'asym.t6.b',
    'configs/asym/ablation/r18_tiny_t6_c_cmi_mixup_ce.py': 'asym.t6.c',
    'configs/asym/ablation/r18_tiny_t6_d_relabel_mixup_ce.py': 'asym.t6.d',
    'configs/asym/r18_tiny_authors_code.py': 'asym.t6.d',
    'configs/asym/mbv2_cifar10.py': 'asym.t5.ours_mbv2',
    # The paper's own Sec. 4.1 pair and recipe on the Semantic Shift Benchmark (the rows use a ResNet-50 student).
    **{f'configs/asym/r18_ssb_{key}.py': f'asym.t3.ours.{key}' for key in ('cub', 'scars', 'aircraft')},
}

# The same rows on CPU-sized data (digits, the MNIST t10k files): same switches as the paper row, other data and
# networks. config -> the paper row they stand for.
CPU_COUNTERPARTS = {
    f'configs/{path}': row_id for path, row_id in (
        ('baselines/ce_r18w16_digits.py', 'asym.t6.resnet18'), ('baselines/cutmix_r18w16_digits.py', 'asym.t6.a'),
        ('asym/ablation/r18_digits_t6_b_cutmix_kd.py', 'asym.t6.b'),
        ('asym/ablation/r18_digits_t6_c_cmi.py', 'asym.t6.c'),
        ('asym/r18_digits.py', 'asym.t6.d'),
        ('asym/ablation/r18_digits_t6_b_cutmix_kd_mixup_ce.py', 'asym.t6.b'),
        ('asym/ablation/r18_digits_t6_c_cmi_mixup_ce.py', 'asym.t6.c'),
        ('asym/ablation/r18_digits_t6_d_relabel_mixup_ce.py', 'asym.t6.d'),
        ('baselines/ce_r18w16_mnist_t10k.py', 'asym.t6.resnet18'),
        ('baselines/cutmix_r18w16_mnist_t10k.py', 'asym.t6.a'),
        ('asym/ablation/r18w16_mnist_t10k_t6_b_cutmix_kd.py', 'asym.t6.b'),
        ('asym/ablation/r18w16_mnist_t10k_t6_c_cmi.py', 'asym.t6.c'), ('asym/r18w16_mnist_t10k.py', 'asym.t6.d'),
        ('asym/ablation/r18w16_mnist_t10k_t6_b_cutmix_kd_mixup_ce.py', 'asym.t6.b'),
        ('asym/ablation/r18w16_mnist_t10k_t6_c_cmi_mixup_ce.py', 'asym.t6.c'),
        ('asym/ablation/r18w16_mnist_t10k_t6_d_relabel_mixup_ce.py', 'asym.t6.d'))
}


def reports_median_of_last_epochs(row: PaperRow) -> bool:
    """Whether the paper reports the row's number as the median over the last 10 epochs of a run (mean of 3 runs):
    the supervised AutoMix / AMix rows (AutoMix Sec. 4.1, AMix Sec. 4.1), whose configs validate after each of them
    (:data:`MEDIAN_OF_LAST_EPOCHS`; :func:`openmixosr.evaluation.median_of_last_epochs` gives the statistic)."""
    return row.defines.items() >= MEDIAN_OF_LAST_EPOCHS.items()


def row_by_id(row_id: str) -> PaperRow:
    """The transcribed row ``row_id``; a clear KeyError naming close ids otherwise."""
    for row in ROWS:
        if row.id == row_id:
            return row
    close = [row.id for row in ROWS if row.id.rsplit('.', 1)[0] == row_id.rsplit('.', 1)[0]]
    raise KeyError(f'no paper row {row_id!r} in openmixosr.paper_results' + (f'; rows of that table: {close}'
                                                                              if close else ''))
