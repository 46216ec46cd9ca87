"""How many network passes one training step makes: the models declare it, the benchmarks read it.

A model declares its passes with a method ``step_passes(self) -> Dict[str, StepPasses]`` (step kind -> passes; a model
whose steps are all alike has the one kind ``'step'``, the asymmetric distiller has ``'raw'`` and ``'mixed'``). It is a
method rather than a class attribute because some counts depend on the config (the distiller's mixed step needs a
second teacher pass only when a loss uses ``T(x)``). The benchmarks (``tools/benchmark``) price each pass with a
primitive timed on its own to get a step's floor, and :meth:`StepPasses.forward_equivalents` turns the counts into
the usual cost estimate (a backward costs two forwards).
"""
from dataclasses import dataclass
from typing import Dict, Mapping, Sequence

#: The step kind of a model whose training steps all make the same passes.
SINGLE_STEP = 'step'


@dataclass(frozen=True)
class NetworkPasses:
    """The passes of one network in one training step, each over the whole batch.

    Args:
        forwards (int): Forwards that build a graph (each is back-propagated, see ``backwards`` and
            ``input_backwards``).
        forwards_no_graph (int): Forwards through the whole network without a graph (``torch.no_grad``).
        partial_forwards_no_graph (int): Forwards without a graph that stop at an inner layer (AutoMix's momentum
            encoder up to the Mix Block's ``mix_layer``).
        backwards (int): Backwards that compute the network's weight gradients.
        input_backwards (int): Backwards through the frozen network that compute only its input's gradient.
    """
    forwards: int = 0
    forwards_no_graph: int = 0
    partial_forwards_no_graph: int = 0
    backwards: int = 0
    input_backwards: int = 0

    def __post_init__(self):
        counts = dict(forwards=self.forwards, forwards_no_graph=self.forwards_no_graph,
                      partial_forwards_no_graph=self.partial_forwards_no_graph, backwards=self.backwards,
                      input_backwards=self.input_backwards)
        negative = {name: count for name, count in counts.items() if count < 0}
        if negative:
            raise ValueError(f'pass counts must be >= 0, got {negative}')
        if self.backwards + self.input_backwards > self.forwards:
            raise ValueError(f'{self.backwards} + {self.input_backwards} backwards need as many forwards with a '
                             f'graph, got {self.forwards}')

    def forward_equivalents(self, partial_forward: float) -> float:
        """The cost in forwards: a backward counts 2 (input and weight gradients), a backward to the input only 1.

        Args:
            partial_forward (float): The cost of a partial forward as a fraction of a full one (e.g. 3/4 for the
                first three of a ResNet's four stages, which cost about the same each).
        """
        return (self.forwards + self.forwards_no_graph + partial_forward * self.partial_forwards_no_graph +
                2 * self.backwards + self.input_backwards)

    def describe(self) -> str:
        """Short notation, e.g. ``'1 partial F(no graph)+1F+1B(input)'`` (F forward, B backward)."""
        parts = [(self.partial_forwards_no_graph, ' partial F(no graph)'), (self.forwards_no_graph, 'F(no graph)'),
                 (self.forwards, 'F'), (self.backwards, 'B'), (self.input_backwards, 'B(input)')]
        return '+'.join(f'{count}{unit}' for count, unit in parts if count) or 'none'


@dataclass(frozen=True)
class StepPasses:
    """The passes of one training step.

    Args:
        networks (Mapping[str, NetworkPasses]): Network name (e.g. ``'online'``, ``'momentum'``, ``'mix_block'``,
            ``'teacher'``, ``'student'``) -> its passes.
        optimizer_steps (int): Optimizer updates. Defaults to 1.
        momentum_updates (int): EMA updates of a momentum encoder per step, made in the step or by a hook right after
            it (``MomentumPipelineHook``). Defaults to 0.
    """
    networks: Mapping[str, NetworkPasses]
    optimizer_steps: int = 1
    momentum_updates: int = 0

    def __post_init__(self):
        if self.optimizer_steps < 0 or self.momentum_updates < 0:
            raise ValueError(f'optimizer_steps and momentum_updates must be >= 0, got {self.optimizer_steps} and '
                             f'{self.momentum_updates}')

    def forward_equivalents(self, networks: Sequence[str], partial_forward: float) -> float:
        """The summed :meth:`NetworkPasses.forward_equivalents` of the named networks (the ones that cost).

        Args:
            networks (Sequence[str]): Networks to count; a name the step does not use counts 0.
            partial_forward (float): See :meth:`NetworkPasses.forward_equivalents`.
        """
        return sum(self.networks[name].forward_equivalents(partial_forward) for name in networks
                   if name in self.networks)

    def describe(self) -> str:
        """Short notation, e.g. ``'online 1F+1B; 1 optimizer step'``."""
        parts = [f'{name} {passes.describe()}' for name, passes in self.networks.items()]
        parts.append(f'{self.optimizer_steps} optimizer step{"s" if self.optimizer_steps != 1 else ""}')
        if self.momentum_updates:
            parts.append(f'{self.momentum_updates} EMA update{"s" if self.momentum_updates != 1 else ""}')
        return '; '.join(parts)


def step_passes_of(model) -> Dict[str, StepPasses]:
    """The passes ``model.step_passes()`` declares, step kind -> :class:`StepPasses`.

    Args:
        model (nn.Module): A built model.

    Raises:
        TypeError: The model declares no ``step_passes``.
    """
    from ..contracts import DeclaresStepPasses
    if not isinstance(model, DeclaresStepPasses):
        raise TypeError(f'{type(model).__name__} declares no step_passes(): add one (see '
                        f'openmixosr.models.utils.step_passes) to benchmark it.')
    return model.step_passes()
