"""runner_model: the model a hook works on (unwrapped from DDP-like wrappers), checked against the contract it needs."""
from types import SimpleNamespace

import pytest
import torch

from openmixosr.engine.hooks import ClusterAssignmentHook, runner_model
from openmixosr.models.algorithms import MomentumMixMixin


def test_runner_model_unwraps_and_names_the_contract():
    inner = torch.nn.Linear(2, 2)
    wrapped = torch.nn.DataParallel(inner)  # a model wrapper MMEngine knows, like DDP: the model is its ``module``
    assert runner_model(SimpleNamespace(model=wrapped)) is inner
    assert runner_model(SimpleNamespace(model=inner)) is inner
    with pytest.raises(TypeError, match=r'MomentumPipelineHook needs a MomentumMixMixin model \(A model with a '
                                        r'momentum encoder.*Linear'):
        runner_model(SimpleNamespace(model=wrapped), MomentumMixMixin, 'MomentumPipelineHook')
    with pytest.raises(TypeError, match='ClusterAssignmentHook needs a MoCoAMixCluster model'):
        ClusterAssignmentHook().before_run(SimpleNamespace(model=inner))
