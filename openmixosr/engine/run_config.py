"""The config a runner holds: MMEngine's ``Config``, its text formatted once per content."""
import copy

from mmengine.config import Config


class RunConfig(Config):
    """MMEngine's ``Config`` whose ``pretty_text`` is formatted once per content.

    A run formats its config as Python (yapf) when it starts, three times (the log, the dumped
    ``<work_dir>/<config>.py``, the message hub), and again for every checkpoint it saves: 0.1-0.2 s each on a CPU,
    most of the start of a short run. ``pretty_text`` is exactly ``Config.pretty_text``; it is formatted again
    whenever the content changed.
    """

    @property
    def pretty_text(self) -> str:
        content = repr(self.to_dict())
        cached = self.__dict__.get('_formatted_text')
        if cached is None or cached[0] != content:
            cached = (content, Config.pretty_text.fget(self))
            object.__setattr__(self, '_formatted_text', cached)  # Config.__setattr__ would set a config key
        return cached[1]

    @classmethod
    def of(cls, cfg: Config) -> 'RunConfig':
        """A copy of ``cfg`` (content, file name, text, settings) as a RunConfig."""
        run_cfg = copy.deepcopy(cfg)
        object.__setattr__(run_cfg, '__class__', cls)  # every attribute kept (Config.__setattr__ sets config keys)
        return run_cfg
