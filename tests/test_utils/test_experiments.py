"""openmixosr/utils/experiments.py: ablation manifests, and teacher checkpoints named by their run's work dir."""
import pytest

from openmixosr.utils.checkpoint_io import resolve_checkpoint
from openmixosr.utils.experiments import load_ablation
from tests.helpers.run_tool import REPO_ROOT


def _manifest(tmp_path, text):
    path = tmp_path / 'manifest.py'
    path.write_text(text)
    return str(path)


def test_a_manifest_names_configs_relative_to_itself_or_shipped(tmp_path):
    (tmp_path / 'mine.py').write_text("model = dict(type='X')\n")
    ablation = load_ablation(_manifest(tmp_path, (
        "teacher = 'openmixosr::baselines/ce_r50w16_digits.py'\n"
        "rows = [dict(name='mine', config='./mine.py'), dict(name='(a) CutMix', "
        "config='openmixosr::baselines/cutmix_r18w16_digits.py', paper_row='asym.t6.a')]\n")))
    assert ablation.teacher == str(REPO_ROOT / 'configs/baselines/ce_r50w16_digits.py')
    assert [(row.name, row.config, row.paper_row) for row in ablation.rows] == [
        ('mine', str(tmp_path / 'mine.py'), None),
        ('(a) CutMix', str(REPO_ROOT / 'configs/baselines/cutmix_r18w16_digits.py'), 'asym.t6.a')]
    assert ablation.variant_rows == ablation.learned_mask_rows == ()
    assert load_ablation('openmixosr::experiments/asym_ablation_digits.py').rows[-1].name == (
        '(d) + relabel (full method)')


@pytest.mark.parametrize('text, error, match', [
    ("teacher = 'openmixosr::baselines/ce_r50w16_digits.py'\nrow = []\n", KeyError,
     r"unknown key 'row' \(did you mean 'rows'\?\)"),
    ("rows = []\n", KeyError, 'has no `teacher`'),
    ("teacher = 'openmixosr::baselines/ce_r50w16_digits.py'\nrows = [dict(name='a', config='./none.py')]\n",
     FileNotFoundError, "names the config './none.py', which does not exist"),
    ("teacher = 'openmixosr::baselines/ce_r50w16_digits.py'\nrows = [dict(name='a', cofnig='x.py')]\n", KeyError,
     r"rows\[0\]: unknown key 'cofnig' \(did you mean 'config'\?\)"),
    ("teacher = 'openmixosr::baselines/ce_r50w16_digits.py'\n"
     "rows = [dict(name='a', config='openmixosr::asym/r18_digits.py', paper_row='asym.t6.z')]\n", KeyError,
     "no paper row 'asym.t6.z'"),
    ("teacher = 'openmixosr::baselines/ce_r50w16_digits.py'\nrows = [dict(name='a', config="
     "'openmixosr::asym/r18_digits.py'), dict(name='a', config='openmixosr::asym/r18_digits.py')]\n", ValueError,
     'every row needs its own name'),
    ("_base_ = ['x.py']\n", ValueError, 'an experiment manifest is one file'),
])
def test_manifest_mistakes_are_refused_with_what_to_do(tmp_path, text, error, match):
    with pytest.raises(error, match=match):
        load_ablation(_manifest(tmp_path, text))


def test_a_teacher_named_by_its_work_dir_is_its_last_checkpoint(tmp_path, monkeypatch):
    work = tmp_path / 'work_dirs' / 'ce_r50w16_digits'
    work.mkdir(parents=True)
    (work / 'epoch_30.pth').write_bytes(b'weights')
    assert resolve_checkpoint(str(work / 'epoch_30.pth')) == str(work / 'epoch_30.pth')
    with pytest.raises(FileNotFoundError, match='a work dir without last_checkpoint: its run saved no checkpoint'):
        resolve_checkpoint(str(work))
    (work / 'last_checkpoint').write_text('work_dirs/ce_r50w16_digits/epoch_30.pth')  # as the run wrote it
    monkeypatch.chdir(tmp_path)
    assert resolve_checkpoint('work_dirs/ce_r50w16_digits') == 'work_dirs/ce_r50w16_digits/epoch_30.pth'
    monkeypatch.chdir(REPO_ROOT)  # elsewhere, the relative path the run wrote is found beside last_checkpoint
    assert resolve_checkpoint(str(work)) == str(work / 'epoch_30.pth')
