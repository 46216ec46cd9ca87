"""CUDA's device rules, simulated on the CPU: catch the bugs that only a GPU run would show.

On a GPU, a tensor made without ``device=`` lives on the host while the model's parameters and the batch live on the
device; an operation that mixes the two fails (``Expected all tensors to be on the same device``), and ``.numpy()``
of a device tensor fails (``can't convert cuda:0 device type tensor to numpy``). On the CPU every tensor is a CPU
tensor and such bugs pass unnoticed. :class:`SimulatedDevice` is a ``TorchFunctionMode`` that tags every tensor as a
*device* or a *host* tensor while the code runs, as CUDA would place it, and raises :class:`DeviceRuleError` where
CUDA would fail:

- device tensors: the parameters and buffers of the modules given to :meth:`SimulatedDevice.place` and the tensors
  given to :meth:`SimulatedDevice.to_device`; everything computed from a device tensor; tensors made with ``device=``
  a device tensor's ``.device`` (which reports :data:`DEVICE`, ``cpu:1``, the stand-in for ``cuda:0``);
  ``.to(DEVICE)``.
  A placed model's data preprocessor moves its batch with ``.to(DEVICE)``, as it would to ``cuda:0``.
- host tensors: everything else: tensors made without ``device=`` (``torch.full``, ``torch.zeros``, ``torch.tensor``,
  ``torch.arange``, ``torch.randperm``, ... and ``torch.from_numpy``), ``.cpu()``, ``.to('cpu')``, results of host
  tensors only, and tensors that a placed module keeps as plain attributes (``module.to('cuda')`` leaves them).
- allowed as on CUDA: a 0-dim host tensor (a scalar) in an operation on device tensors; host tensors indexing a
  device tensor; ``copy_`` and slice assignment across devices; ``.item()``, ``.tolist()``, ``float()`` (CUDA syncs
  and copies); ``.to(device)`` / ``.cpu()`` both ways.
- errors: an operation with both device tensors and host tensors of one or more dimensions (a host tensor indexed by
  a device tensor included); ``.numpy()`` / ``numpy.asarray`` of a device tensor.

Known limits: code that decides by ``tensor.device.type == 'cuda'`` takes its CPU branch (the simulated device is a
CPU device); kernels that CUDA lacks (some integer ops) are not simulated; only Python-level torch calls are seen
(the inside of an op is torch's own business).

Usage::

    simulation = SimulatedDevice()
    simulation.place(model)      # model.to(DEVICE); its parameters and buffers tagged as device tensors
    with simulation:
        model.train_step(data, optim_wrapper)   # data as a dataloader yields it (host): the preprocessor moves it
"""
from typing import Callable, List, Optional

import torch
from mmengine.structures import BaseDataElement
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils.weak import WeakIdKeyDictionary

#: The simulated accelerator: a CPU device that compares unequal to ``torch.device('cpu')``, as ``cuda:0`` does.
DEVICE = torch.device('cpu', 1)
_HOST, _DEVICE = 'host', 'device'


class DeviceRuleError(RuntimeError):
    """An operation that CUDA would refuse: host and device tensors mixed, or a device tensor read as numpy."""


def _tensors(value) -> List[torch.Tensor]:
    """Every tensor in ``value`` (nested lists, tuples, dicts)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [tensor for item in value for tensor in _tensors(item)]
    if isinstance(value, dict):
        return [tensor for item in value.values() for tensor in _tensors(item)]
    return []


def _is_device_argument(device) -> Optional[bool]:
    """True for :data:`DEVICE` (or a CUDA device), False for another device, None for no device at all."""
    if device is None:
        return None
    device = torch.device(device) if isinstance(device, (str, int)) else device
    return device == DEVICE or device.type == 'cuda'


def _name(func: Callable) -> str:
    return getattr(func, '__name__', repr(func))


def _property_name(func: Callable) -> Optional[str]:
    """``'device'`` for ``Tensor.device.__get__`` and so on; None for anything but a Tensor property getter."""
    owner = getattr(func, '__self__', None)
    if _name(func) == '__get__' and owner is not None:
        return getattr(owner, '__name__', None)
    return None


#: Methods that move a tensor (their result's place comes from their arguments, not their inputs').
_MOVES = {'to', 'cpu', 'cuda'}
#: Methods whose result is a new tensor on ``self``'s device whatever the arguments hold (new_tensor(data), ...).
_ON_SELF = {'new_tensor', 'new_zeros', 'new_ones', 'new_full', 'new_empty'}
#: Cross-device operations CUDA allows.
_CROSS_DEVICE = {'copy_', 'set_'}
#: Reading values to the host: allowed on device tensors (CUDA syncs and copies).
_READS = {'item', 'tolist', '__float__', '__int__', '__bool__', '__index__', '__len__', '__repr__', '__format__',
          '__str__', 'dim', 'size', 'numel', 'is_contiguous', 'data_ptr', 'stride', 'element_size', 'storage_offset',
          'untyped_storage', '__hash__', '__reduce_ex__', 'is_floating_point', 'is_complex'}
#: Conversions to numpy: refused on device tensors (``can't convert cuda:0 device type tensor to numpy``).
_NUMPY = {'numpy', '__array__'}


class SimulatedDevice(TorchFunctionMode):
    """Tag tensors as host or device tensors and enforce CUDA's rules on them (see the module docstring).

    Enter it with ``with``; tensors keep their tags afterwards (they are weak references: nothing is kept alive).

    Attributes:
        checked_ops (int): Number of torch calls seen (a test can check that the simulation saw its code).
    """

    def __init__(self) -> None:
        super().__init__()
        self._places = WeakIdKeyDictionary()
        self.checked_ops = 0

    # ------------------------------------------------------------------------------------------------ tagging
    def is_device(self, tensor: torch.Tensor) -> bool:
        """Whether ``tensor`` is a device tensor (anything not tagged so is a host tensor)."""
        return self._places.get(tensor) == _DEVICE

    def _tag(self, value, place: str) -> None:
        for tensor in _tensors(value):
            self._places[tensor] = place

    def to_device(self, value):
        """Tag every tensor in ``value`` (a batch; lists, tuples, dicts and data samples in it) as a device tensor,
        as if a data preprocessor had moved it; returns ``value``. (Untagged tensors are host tensors: a batch as a
        dataloader yields it needs no tagging.)"""
        if isinstance(value, BaseDataElement):
            self.to_device(list(value.values()))
        elif isinstance(value, dict):
            self.to_device(list(value.values()))
        elif isinstance(value, (list, tuple)):
            for item in value:
                self.to_device(item)
        elif isinstance(value, torch.Tensor):
            self._places[value] = _DEVICE
        return value

    def place(self, module: nn.Module) -> nn.Module:
        """Put ``module`` on the simulated device: ``module.to(DEVICE)`` (so MMEngine models move their batches there)
        and its parameters and buffers tagged as device tensors. Tensors kept as plain attributes of a submodule
        (not registered as buffers) are tagged as host tensors: ``module.to('cuda')`` would leave them on the host."""
        module.to(DEVICE)
        for tensor in [*module.parameters(), *module.buffers()]:
            self._places[tensor] = _DEVICE
        registered = {id(tensor) for tensor in [*module.parameters(), *module.buffers()]}
        for submodule in module.modules():
            for value in vars(submodule).values():
                if isinstance(value, torch.Tensor) and id(value) not in registered:
                    self._places[value] = _HOST
        return module

    # ------------------------------------------------------------------------------------------------ rules
    def _fail(self, func, message: str) -> None:
        raise DeviceRuleError(f'{_name(func)}: {message} (CUDA would refuse this; see tests/helpers/device_rules.py)')

    def _check_mixing(self, func, tensors: List[torch.Tensor]) -> Optional[str]:
        """Raise when device tensors meet host tensors of >= 1 dimension; return the place of the result."""
        on_device = [tensor for tensor in tensors if self.is_device(tensor)]
        if not on_device:
            return _HOST if tensors else None
        on_host = [tensor for tensor in tensors if not self.is_device(tensor) and tensor.dim() > 0]
        if on_host:
            self._fail(func, f'a host tensor of shape {tuple(on_host[0].shape)} meets a device tensor of shape '
                       f'{tuple(on_device[0].shape)}: create it with device=<input>.device or move it with '
                       '.to(<input>.device)')
        return _DEVICE

    def _check_indexing(self, func, args) -> str:
        """``x[i]`` / ``x[i] = v``: a device ``x`` takes host indices; a host ``x`` must not take device indices."""
        target, index = args[0], args[1] if len(args) > 1 else None
        indices = _tensors(index)
        if self.is_device(target):
            place = _DEVICE
        else:
            place = _HOST
            device_indices = [tensor for tensor in indices if self.is_device(tensor)]
            if device_indices:
                self._fail(func, 'a host tensor indexed by a device tensor: move the index with .cpu() or the '
                           'tensor to the device')
        if _name(func) == '__setitem__' and len(args) > 2:
            values = _tensors(args[2])
            basic = not indices  # ints, slices, None, Ellipsis: a copy_, which crosses devices
            if not basic:
                self._check_mixing(func, [target, *values])
        return place

    def _place_of_move(self, func, args, kwargs) -> str:
        name, source = _name(func), args[0]
        if name == 'cpu':
            return _HOST
        if name == 'cuda':
            return _DEVICE
        others = [arg for arg in args[1:] if isinstance(arg, torch.Tensor)]  # x.to(other): other's device
        if others:
            return _DEVICE if self.is_device(others[0]) else _HOST
        device = kwargs.get('device')
        if device is None:
            device = next((arg for arg in args[1:] if isinstance(arg, (str, torch.device))), None)
        placed = _is_device_argument(device)
        if placed is None:
            return _DEVICE if self.is_device(source) else _HOST
        return _DEVICE if placed else _HOST

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        self.checked_ops += 1
        name, prop = _name(func), _property_name(func)
        if prop is not None:
            result = func(*args, **kwargs)
            if prop == 'device' and self.is_device(args[0]):
                return DEVICE
            if isinstance(result, torch.Tensor) and self.is_device(args[0]):  # .grad, .data, .T, .real ...
                self._places[result] = _DEVICE
            return result
        if name in _NUMPY and args and isinstance(args[0], torch.Tensor) and self.is_device(args[0]):
            if not kwargs.get('force'):
                self._fail(func, 'a device tensor converted to numpy: call .cpu() first')
        if name in _READS or name in _NUMPY:
            return func(*args, **kwargs)

        inputs = _tensors(list(args)) + _tensors(list(kwargs.values()))
        if name in _MOVES:
            place = self._place_of_move(func, args, kwargs)
        elif name in ('__getitem__', '__setitem__'):
            place = self._check_indexing(func, args)
        elif name in _ON_SELF:
            place = _DEVICE if self.is_device(args[0]) else _HOST
            if 'device' in kwargs:
                place = _DEVICE if _is_device_argument(kwargs['device']) else _HOST
        elif name in _CROSS_DEVICE:
            place = _DEVICE if self.is_device(args[0]) else _HOST
        elif 'device' in kwargs and kwargs['device'] is not None:  # factories and *_like with an explicit device
            place = _DEVICE if _is_device_argument(kwargs['device']) else _HOST
            self._check_mixing(func, inputs)
        elif name in ('tensor', 'as_tensor') and inputs:  # torch.tensor(t) keeps t's device
            place = _DEVICE if self.is_device(inputs[0]) else _HOST
        else:
            place = self._check_mixing(func, inputs) or _HOST

        result = func(*args, **kwargs)
        if name in _MOVES and isinstance(result, torch.Tensor) and any(result is arg for arg in args):
            if (_DEVICE if self.is_device(result) else _HOST) != place:
                result = result.clone()  # a real move makes a new tensor; the source keeps its place
        outputs = [tensor for tensor in _tensors(result) if not any(tensor is arg for arg in inputs)]
        self._tag(outputs, place)
        return result

