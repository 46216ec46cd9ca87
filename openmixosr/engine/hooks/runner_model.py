"""The model a hook works on: the runner's model without its distributed wrapper, checked against a contract."""
from typing import Optional

from mmpretrain.utils import get_ori_model
from torch import nn


def runner_model(runner, contract: Optional[type] = None, user: Optional[str] = None) -> nn.Module:
    """The runner's model, unwrapped from DDP (``runner.model.module``), of the type ``user`` needs.

    Args:
        runner: The MMEngine runner (anything with a ``model``).
        contract (type, optional): The class (or mixin) the model must be an instance of, e.g.
            :class:`~openmixosr.models.algorithms.MomentumMixMixin`. None accepts any model.
        user (str, optional): Who needs the model (e.g. the hook's class name), for the error message.

    Returns:
        nn.Module: The unwrapped model.

    Raises:
        TypeError: When the model is not an instance of ``contract``.
    """
    model = get_ori_model(runner.model)
    if contract is not None and not isinstance(model, contract):
        summary = (contract.__doc__ or '').strip().split('\n')[0].rstrip('.')
        raise TypeError(f'{user or "This hook"} needs a {contract.__name__} model ({summary}); the runner\'s model '
                        f'is {type(model).__name__}. Remove the hook from the config or use such a model.')
    return model
