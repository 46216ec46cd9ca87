"""Build scores from a log name (``'knn'``), a type name (``'KNNScore'``) or a config dict; the ``'all'`` list.

The names come from the registry: every class registered in ``OPEN_SET_SCORES`` is known by its ``name`` (or by the
names of its ``presets``), in the order the classes were registered, so a score a user registers from outside the
package is buildable by name, can be an evaluator's headline score, and joins ``scores='all'``.
"""
from typing import Dict, List, Union

from openmixosr.registry import OPEN_SET_SCORES
from .base import OpenSetScore


def score_configs() -> Dict[str, dict]:
    """Log name -> config of every registered score (and of every preset of a class with presets), in registration
    order: the names ``build_score`` takes and the scores ``'all'`` evaluates.

    Raises:
        ValueError: Two registered classes claim one name (their metrics would overwrite each other).
    """
    configs: Dict[str, dict] = {}
    for type_name, cls in OPEN_SET_SCORES.module_dict.items():
        presets = cls.presets if cls.presets is not None else {cls.name: {}}
        for name, arguments in presets.items():
            if not name:
                raise ValueError(f'The open-set score {type_name} has no `name` (its log key).')
            if name in configs:
                raise ValueError(f'The open-set scores {configs[name]["type"]} and {type_name} are both named '
                                 f'{name!r}.')
            configs[name] = dict(type=type_name, **arguments)
    return configs


def all_one_pass_scores() -> List[dict]:
    """What ``scores='all'`` evaluates: every registered score (one pass of features and logits; ODIN, which needs
    the network in the loop, is a function, :func:`~openmixosr.evaluation.scores.odin.odin_scores`, not a score)."""
    return list(score_configs().values())


def build_score(cfg_or_name: Union[str, dict]) -> OpenSetScore:
    """Build an unfitted score.

    Args:
        cfg_or_name (str | dict): A log name of :func:`score_configs` (``'mls'``, ``'ash_p'``), a registered type
            name (``'KNNScore'``), or a config ``dict(type='KNNScore', k=50)``.

    Returns:
        OpenSetScore: The score, to be fitted.

    Raises:
        KeyError: An unknown name, listing the known ones.
        TypeError: A registered class that is not an :class:`OpenSetScore`.
    """
    if isinstance(cfg_or_name, str):
        configs = score_configs()
        if cfg_or_name in configs:
            cfg = configs[cfg_or_name]
        elif OPEN_SET_SCORES.get(cfg_or_name) is not None:
            cfg = dict(type=cfg_or_name)
        else:
            raise KeyError(f'unknown open-set score {cfg_or_name!r}; known: {list(configs)}, or a type in '
                           'OPEN_SET_SCORES (a score of your own: register it with '
                           '@OPEN_SET_SCORES.register_module(), docs/get_started.md)')
    else:
        cfg = cfg_or_name
    score = OPEN_SET_SCORES.build(dict(cfg))
    if not isinstance(score, OpenSetScore):
        raise TypeError(f'{type(score).__name__} is registered in OPEN_SET_SCORES but is not an OpenSetScore.')
    return score
