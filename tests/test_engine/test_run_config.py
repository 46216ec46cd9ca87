"""The runner's config formats its text once per content, and the text is MMEngine's."""
import copy
import pickle

import mmengine.config.config as mmengine_config
from mmengine.config import Config

from openmixosr.engine import build_runner
from openmixosr.engine.run_config import RunConfig

CE = 'configs/baselines/ce_r18w16_digits.py'


def _count_formatting(monkeypatch):
    calls = []
    format_code = mmengine_config.FormatCode

    def counting(*args, **kwargs):
        calls.append(1)
        return format_code(*args, **kwargs)

    monkeypatch.setattr(mmengine_config, 'FormatCode', counting)  # this test's Config module only
    return calls


def test_the_text_is_configs_and_is_formatted_again_only_when_the_content_changes(repo_root, monkeypatch):
    cfg = Config.fromfile(repo_root / CE)
    run_cfg = RunConfig.of(cfg)
    calls = _count_formatting(monkeypatch)
    assert run_cfg.pretty_text == cfg.pretty_text and len(calls) == 2  # one each
    assert run_cfg.pretty_text == cfg.pretty_text and len(calls) == 3  # the run's config: not again
    run_cfg.train_cfg.max_epochs = 7
    assert 'max_epochs=7' in run_cfg.pretty_text and len(calls) == 4
    assert copy.deepcopy(run_cfg).pretty_text == run_cfg.pretty_text and len(calls) == 4
    assert type(pickle.loads(pickle.dumps(run_cfg))) is RunConfig
    assert run_cfg.filename == cfg.filename and run_cfg.text == cfg.text
    assert 'max_epochs=7' not in cfg.pretty_text  # a copy: the given config is left as it was


def test_the_runner_formats_its_config_once(repo_root, tmp_path, monkeypatch):
    cfg = Config.fromfile(repo_root / CE)
    cfg.work_dir = str(tmp_path)
    calls = _count_formatting(monkeypatch)
    runner = build_runner(cfg)
    assert isinstance(runner.cfg, RunConfig) and len(calls) == 1  # logged and dumped: one formatting
    dumped = (tmp_path / 'ce_r18w16_digits.py').read_text()
    assert dumped == runner.cfg.pretty_text == Config.pretty_text.fget(runner.cfg)
