"""Registries of OpenMixOSR: children of mmpretrain's, so ``default_scope='openmixosr'`` reaches both.

A config with ``default_scope = 'openmixosr'`` builds ``type='OpenSetDataset'`` from here and falls back to the
parent registries for ``type='ResNet_CIFAR'`` (mmpretrain) or ``type='SGD'`` (mmengine). The ``locations`` make a
registry import the modules that fill it the first time something is built from it.
"""
from mmpretrain.registry import DATA_SAMPLERS as MMPRETRAIN_DATA_SAMPLERS
from mmpretrain.registry import DATASETS as MMPRETRAIN_DATASETS
from mmpretrain.registry import EVALUATORS as MMPRETRAIN_EVALUATORS
from mmpretrain.registry import HOOKS as MMPRETRAIN_HOOKS
from mmpretrain.registry import LOOPS as MMPRETRAIN_LOOPS
from mmpretrain.registry import METRICS as MMPRETRAIN_METRICS
from mmpretrain.registry import MODEL_WRAPPERS as MMPRETRAIN_MODEL_WRAPPERS
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmpretrain.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMPRETRAIN_OPTIM_WRAPPER_CONSTRUCTORS
from mmpretrain.registry import OPTIM_WRAPPERS as MMPRETRAIN_OPTIM_WRAPPERS
from mmpretrain.registry import OPTIMIZERS as MMPRETRAIN_OPTIMIZERS
from mmpretrain.registry import PARAM_SCHEDULERS as MMPRETRAIN_PARAM_SCHEDULERS
from mmpretrain.registry import RUNNERS as MMPRETRAIN_RUNNERS
from mmpretrain.registry import TRANSFORMS as MMPRETRAIN_TRANSFORMS
from mmengine.registry import Registry

RUNNERS = Registry('runner', parent=MMPRETRAIN_RUNNERS, locations=['openmixosr.engine'])
LOOPS = Registry('loop', parent=MMPRETRAIN_LOOPS, locations=['openmixosr.engine'])
HOOKS = Registry('hook', parent=MMPRETRAIN_HOOKS, locations=['openmixosr.engine'])
MODEL_WRAPPERS = Registry('model_wrapper', parent=MMPRETRAIN_MODEL_WRAPPERS, locations=['openmixosr.engine'])
OPTIMIZERS = Registry('optimizer', parent=MMPRETRAIN_OPTIMIZERS, locations=['openmixosr.engine'])
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMPRETRAIN_OPTIM_WRAPPERS, locations=['openmixosr.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor', parent=MMPRETRAIN_OPTIM_WRAPPER_CONSTRUCTORS, locations=['openmixosr.engine'])
PARAM_SCHEDULERS = Registry('parameter scheduler', parent=MMPRETRAIN_PARAM_SCHEDULERS, locations=['openmixosr.engine'])

DATASETS = Registry('dataset', parent=MMPRETRAIN_DATASETS, locations=['openmixosr.datasets'])
DATA_SAMPLERS = Registry('data sampler', parent=MMPRETRAIN_DATA_SAMPLERS, locations=['openmixosr.datasets'])
TRANSFORMS = Registry('transform', parent=MMPRETRAIN_TRANSFORMS, locations=['openmixosr.datasets'])

MODELS = Registry('model', parent=MMPRETRAIN_MODELS, locations=['openmixosr.models'])

METRICS = Registry('metric', parent=MMPRETRAIN_METRICS, locations=['openmixosr.evaluation'])
EVALUATORS = Registry('evaluator', parent=MMPRETRAIN_EVALUATORS, locations=['openmixosr.evaluation'])

