"""The ``forward(inputs, data_samples, mode)`` of MMEngine models, written once for the algorithms of this package."""
from typing import List, Optional

import torch
from mmpretrain.structures import DataSample

FORWARD_MODES = ('loss', 'predict', 'tensor')


class ModeDispatchMixin:
    """MMEngine's three forward modes, dispatched to the algorithm's ``loss``, ``predict`` and ``extract_logits``.

    Mix it in before :class:`~mmengine.model.BaseModel` (``class MyAlgorithm(ModeDispatchMixin, BaseModel)``) and
    define the three methods:

    - ``loss(inputs, data_samples) -> dict`` of losses (``mode='loss'``, training);
    - ``predict(inputs, data_samples) -> list[DataSample]`` (``mode='predict'``, validation and test);
    - ``extract_logits(inputs) -> Tensor``, the logits of the network that is trained (``mode='tensor'``).
    """

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_logits(inputs)
        raise RuntimeError(f'Invalid forward mode {mode!r} of {type(self).__name__}: expected one of {FORWARD_MODES}.')
