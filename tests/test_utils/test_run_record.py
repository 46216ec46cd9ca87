"""openmixosr/utils/run_record.py and provenance.py: what a finished run's record must be to be taken."""
import json
import os
import subprocess

import pytest

from openmixosr.utils import provenance
from openmixosr.utils.run_queue import Run, train_run
from openmixosr.utils.run_record import (CONSUMED_FILE_KEYS, RunRecordError, consumed_files, current_code,
                                         file_digest, merged_config, reusable_record, run_identity)
from tests.helpers.fake_runs import write_attempt, write_config


class _Launcher:
    def __init__(self, metrics=None):
        self.metrics = metrics or {'osr/accuracy': 90.0, 'osr/auroc': 63.6}

    def launch(self, run, options):
        write_attempt(run, self.metrics, epochs=2, validated_epochs=[1, 2])


def _finished(tmp_path, config_text=None):
    config = write_config(tmp_path, 'c.py')
    if config_text is not None:
        with open(config, 'a') as file:
            file.write(config_text)
    run = Run(config, str(tmp_path / 'run'))
    train_run(run, _Launcher())
    return run, os.path.join(run.work_dir, 'metrics.json')


def test_a_hand_edited_metric_is_refused_with_both_numbers(tmp_path):
    run, path = _finished(tmp_path)
    assert reusable_record(run.work_dir, run.identity(), current_code())[0]['metrics']['osr/auroc'] == 63.6
    record = json.loads(open(path).read())
    record['metrics']['osr/auroc'] = record['validations'][-1]['metrics']['osr/auroc'] = 51.42
    open(path, 'w').write(json.dumps(record))  # valid JSON, a wrong number
    with pytest.raises(RunRecordError, match=r"does not match its run's log .* at epoch 2: osr/auroc 51.42 "
                                             r"\(log: 63.6\)"):
        reusable_record(run.work_dir, run.identity(), current_code())
    record['validations'][-1]['metrics']['osr/auroc'] = 63.6  # only the summary edited
    open(path, 'w').write(json.dumps(record))
    with pytest.raises(RunRecordError, match="its metrics are not its last validation's"):
        reusable_record(run.work_dir, run.identity(), current_code())


def test_a_record_without_its_log_an_old_format_or_broken_json_is_refused(tmp_path):
    run, path = _finished(tmp_path)
    log = os.path.join(run.work_dir, '20260101_000000', 'vis_data', 'scalars.json')
    os.rename(log, log + '.moved')
    with pytest.raises(RunRecordError, match='names the log .* which does not exist'):
        reusable_record(run.work_dir, run.identity(), current_code())
    os.rename(log + '.moved', log)
    open(path, 'w').write(json.dumps({'settings': {}, 'metrics': {'osr/auroc': 63.6}}))
    with pytest.raises(RunRecordError, match='written by an older OpenMixOSR'):
        reusable_record(run.work_dir, run.identity(), current_code())
    open(path, 'w').write('{"identity": {"conf')
    with pytest.raises(RunRecordError, match=r'metrics.json is not a readable record of a finished run .*delete it'):
        reusable_record(run.work_dir, run.identity(), current_code())


def test_an_edited_config_or_base_file_is_other_settings(tmp_path):
    base = tmp_path / 'base.py'
    base.write_text('lr = 0.1\n')
    run, _ = _finished(tmp_path, "_base_ = ['./base.py']\n")
    base.write_text('lr = 0.2\n')  # an edit of a _base_ file
    with pytest.raises(RunRecordError, match=r"differing: \['config_digest'\].*was edited since"):
        reusable_record(run.work_dir, run.identity(), current_code())


def test_consumed_files_are_identified_by_content_not_path(tmp_path):
    checkpoint = tmp_path / 'teacher.pth'
    checkpoint.write_bytes(b'one')
    config = write_config(tmp_path, 'c.py', pretrained='x.pth', load_from=None)
    with open(config, 'a') as file:
        file.write("init = dict(init_cfg=dict(type='SafePretrained', checkpoint='missing.pth'))\n"
                   "default_hooks = dict(checkpoint=dict(interval=1))\n")
    cfg = merged_config(config, [f'model.teacher_checkpoint={checkpoint}'])
    assert consumed_files(cfg) == {'pretrained': 'x.pth', 'model.teacher_checkpoint': str(checkpoint),
                                   'init.init_cfg.checkpoint': 'missing.pth'}  # not the hook named `checkpoint`
    assert set(CONSUMED_FILE_KEYS) == {'teacher_checkpoint', 'pretrained', 'load_from', 'checkpoint'}
    first = run_identity(config, 0, [], input_options=[f'model.teacher_checkpoint={checkpoint}'])
    copy = tmp_path / 'elsewhere.pth'
    copy.write_bytes(b'one')
    moved = run_identity(config, 0, [], input_options=[f'model.teacher_checkpoint={copy}'])
    assert first == moved and first['inputs']['model.teacher_checkpoint'] == file_digest(str(checkpoint))
    assert first['inputs']['init.init_cfg.checkpoint'] == 'missing'
    checkpoint.write_bytes(b'two')
    assert run_identity(config, 0, [], input_options=[f'model.teacher_checkpoint={checkpoint}']) != first


def test_source_digest_follows_the_sources_and_git_revision_says_dirty(tmp_path):
    package = tmp_path / 'pkg'
    (package / 'sub' / '__pycache__').mkdir(parents=True)
    (package / 'a.py').write_text('x = 1\n')
    (package / 'sub' / 'splits.json').write_text('{}')
    (package / 'README.md').write_text('docs')
    digest = provenance.source_digest(str(package))
    (package / 'README.md').write_text('other docs')
    (package / 'sub' / '__pycache__' / 'a.pyc').write_bytes(b'\0')
    assert provenance.source_digest(str(package)) == digest  # docs and caches are not code
    (package / 'sub' / 'splits.json').write_text('{"a": 1}')
    assert provenance.source_digest(str(package)) != digest
    assert provenance.git_revision(str(package)) is None  # not a checkout
    run = lambda *args: subprocess.run(['git', '-C', str(package), *args], check=True, capture_output=True)  # noqa
    run('init', '-q')
    run('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'x')
    run('add', 'a.py')
    run('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'y')
    clean = provenance.git_revision(str(package))
    assert len(clean) == 40 and '+' not in clean
    (package / 'a.py').write_text('x = 2\n')
    assert provenance.git_revision(str(package)) == clean + '+dirty'
    assert provenance.describe_code(dict(openmixosr='0.1.0', source_digest='ab' * 32, git=clean + '+dirty')) == (
        f'openmixosr 0.1.0, sources {"ab" * 6}, git {clean[:7]}+dirty')
