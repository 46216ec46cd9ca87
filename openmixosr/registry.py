"""Registries of OpenMixOSR: children of mmpretrain's, so ``default_scope='openmixosr'`` reaches both.

A config with ``default_scope = 'openmixosr'`` builds ``type='OpenSetDataset'`` from here and falls back to the
parent registries for ``type='ResNet_CIFAR'`` (mmpretrain) or ``type='SGD'`` (mmengine). The ``locations`` make a
registry import the modules that fill it the first time something is built from it.
"""
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import Registry
from mmpretrain.registry import DATA_SAMPLERS as MMPRETRAIN_DATA_SAMPLERS
from mmpretrain.registry import DATASETS as MMPRETRAIN_DATASETS
from mmpretrain.registry import EVALUATORS as MMPRETRAIN_EVALUATORS
from mmpretrain.registry import HOOKS as MMPRETRAIN_HOOKS
from mmpretrain.registry import LOG_PROCESSORS as MMPRETRAIN_LOG_PROCESSORS
from mmpretrain.registry import LOOPS as MMPRETRAIN_LOOPS
from mmpretrain.registry import METRICS as MMPRETRAIN_METRICS
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmpretrain.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMPRETRAIN_OPTIM_WRAPPER_CONSTRUCTORS
from mmpretrain.registry import OPTIM_WRAPPERS as MMPRETRAIN_OPTIM_WRAPPERS
from mmpretrain.registry import OPTIMIZERS as MMPRETRAIN_OPTIMIZERS
from mmpretrain.registry import PARAM_SCHEDULERS as MMPRETRAIN_PARAM_SCHEDULERS
from mmpretrain.registry import RUNNER_CONSTRUCTORS as MMPRETRAIN_RUNNER_CONSTRUCTORS
from mmpretrain.registry import RUNNERS as MMPRETRAIN_RUNNERS
from mmpretrain.registry import TASK_UTILS as MMPRETRAIN_TASK_UTILS
from mmpretrain.registry import TRANSFORMS as MMPRETRAIN_TRANSFORMS
from mmpretrain.registry import VISBACKENDS as MMPRETRAIN_VISBACKENDS
from mmpretrain.registry import VISUALIZERS as MMPRETRAIN_VISUALIZERS
from mmpretrain.registry import WEIGHT_INITIALIZERS as MMPRETRAIN_WEIGHT_INITIALIZERS

RUNNERS = Registry('runner', parent=MMPRETRAIN_RUNNERS, locations=['openmixosr.engine'])
RUNNER_CONSTRUCTORS = Registry('runner constructor', parent=MMPRETRAIN_RUNNER_CONSTRUCTORS)
LOOPS = Registry('loop', parent=MMPRETRAIN_LOOPS, locations=['openmixosr.engine'])
HOOKS = Registry('hook', parent=MMPRETRAIN_HOOKS, locations=['openmixosr.engine'])
# A direct child of MMEngine's root: the runner looks wrappers up with `MODEL_WRAPPERS.get('openmixosr.X')`, which
# only searches the root's direct children (mmpretrain registers no wrappers of its own).
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMENGINE_MODEL_WRAPPERS, locations=['openmixosr.engine'])
OPTIMIZERS = Registry('optimizer', parent=MMPRETRAIN_OPTIMIZERS, locations=['openmixosr.engine'])
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMPRETRAIN_OPTIM_WRAPPERS, locations=['openmixosr.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor', parent=MMPRETRAIN_OPTIM_WRAPPER_CONSTRUCTORS, locations=['openmixosr.engine'])
LOG_PROCESSORS = Registry('log_processor', parent=MMPRETRAIN_LOG_PROCESSORS)
PARAM_SCHEDULERS = Registry('parameter scheduler', parent=MMPRETRAIN_PARAM_SCHEDULERS, locations=['openmixosr.engine'])

DATASETS = Registry('dataset', parent=MMPRETRAIN_DATASETS, locations=['openmixosr.datasets'])
DATA_SAMPLERS = Registry('data sampler', parent=MMPRETRAIN_DATA_SAMPLERS, locations=['openmixosr.datasets'])
TRANSFORMS = Registry('transform', parent=MMPRETRAIN_TRANSFORMS, locations=['openmixosr.datasets'])

MODELS = Registry('model', parent=MMPRETRAIN_MODELS, locations=['openmixosr.models'])
# Mixers that return the bookkeeping of a mix (``PairedMixer``: images -> ``MixedBatch`` with pairing and lam), chosen
# in a model's config (``model.mixer``): the one way OpenMixOSR mixes a batch. mmpretrain's batch augments, whose
# ``(inputs, scores) -> (inputs, scores)`` drops the pairing, are refused; mmpretrain has no such registry, hence no
# parent.
MIXERS = Registry('mixer', locations=['openmixosr.models.paired_mixers'])
WEIGHT_INITIALIZERS = Registry('weight initializer', parent=MMPRETRAIN_WEIGHT_INITIALIZERS,
                               locations=['openmixosr.engine'])
TASK_UTILS = Registry('task util', parent=MMPRETRAIN_TASK_UTILS)

METRICS = Registry('metric', parent=MMPRETRAIN_METRICS, locations=['openmixosr.evaluation'])
EVALUATORS = Registry('evaluator', parent=MMPRETRAIN_EVALUATORS, locations=['openmixosr.evaluation'])
# Post-hoc open-set scores (MSP, KNN, ViM, ...): numpy feature banks in, "higher = more known" scores out.
# mmpretrain has no such registry, hence no parent.
OPEN_SET_SCORES = Registry('open-set score', locations=['openmixosr.evaluation.scores'])


# No OpenMixOSR visualizers yet: these children make the 'openmixosr' scope reach mmpretrain's.
VISUALIZERS = Registry('visualizer', parent=MMPRETRAIN_VISUALIZERS)
VISBACKENDS = Registry('vis_backend', parent=MMPRETRAIN_VISBACKENDS)
