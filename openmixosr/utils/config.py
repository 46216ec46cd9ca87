"""Config helpers shared by the tools."""
from mmengine.config import Config, ConfigDict


def apply_osr_split(cfg: Config) -> Config:
    """Copy the top-level ``split`` of a config into every dataset config that has an ``osr_split`` key.

    Configs declare ``split = 0`` once at the top and pass ``osr_split=split`` to their datasets. MMEngine resolves that
    reference when the file is parsed, so ``--cfg-options split=3`` alone would not reach the datasets; the tools call
    this function after merging the command-line options so that it does.

    Args:
        cfg (Config): The merged config. Left unchanged when it has no top-level ``split``.

    Returns:
        Config: ``cfg``, modified in place.
    """
    if 'split' not in cfg:
        return cfg
    split = cfg.split
    if not isinstance(split, int) or isinstance(split, bool):
        raise TypeError(f'`split` must be an integer index of a published open-set split, got {split!r}')

    def visit(node):
        if isinstance(node, (dict, ConfigDict)):
            if 'osr_split' in node:
                node['osr_split'] = split
            for value in node.values():
                visit(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                visit(value)

    for key, value in cfg.items():
        if key != 'split':
            visit(value)
    return cfg
