"""Paper fidelity: every config that names a paper row is that row (openmixosr/paper_results.py).

For each transcribed row with a config, the config is built and every switch that defines the row is read back from
the built model (``model.*``) or the config (``cfg.*``). A config whose header names a paper table must be a
transcribed row, a declared variant of one (ours) or a CPU counterpart of one, so a file cannot claim a row it is not.
"""
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from openmixosr import paper_results
from openmixosr.paper_results import CONFIG, CPU_COUNTERPARTS, ROWS, STATUSES, TABLES, VARIANTS
from openmixosr.registry import MODELS

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG_ROWS = [row for row in ROWS if row.status == CONFIG]
MISSING = object()


@lru_cache(maxsize=16)  # rows share configs; a bounded cache keeps the memory of a few built models
def _built(config: str):
    cfg = Config.fromfile(REPO_ROOT / config)
    model_cfg = cfg.model.copy()
    if model_cfg.type == 'AsymmetricDistiller':
        model_cfg.teacher_checkpoint = None  # no trained teacher here: the switches do not depend on its weights
    torch.manual_seed(0)
    return cfg, MODELS.build(model_cfg)


def _step(obj, part):
    if part == 'type' and not isinstance(obj, dict):
        return type(obj).__name__
    if part == 'keys' and hasattr(obj, 'keys'):
        return sorted(obj.keys())
    if isinstance(obj, torch.nn.ModuleDict) or isinstance(obj, dict):
        return obj[part] if part in obj else MISSING
    if isinstance(obj, (list, tuple)) and part.isdigit():
        return obj[int(part)] if int(part) < len(obj) else MISSING
    return getattr(obj, part, MISSING)


def resolve(cfg, model, path: str):
    """Read a switch path: ``model.a.b`` on the built model, ``cfg.a.b`` in the config."""
    root, *parts = path.split('.')
    obj = {'model': model, 'cfg': cfg}[root]
    for part in parts:
        obj = _step(obj, part)
        if obj is MISSING:
            return MISSING
    return obj


def _check_defines(row_id, config, defines):
    cfg, model = _built(config)
    wrong = {}
    for path, expected in defines.items():
        actual = resolve(cfg, model, path)
        if actual is MISSING or actual != expected:
            wrong[path] = ('<missing>' if actual is MISSING else actual, expected)
    assert not wrong, f'{config} is not paper row {row_id}: (actual, expected) {wrong}'


@pytest.mark.parametrize('row', CONFIG_ROWS, ids=lambda row: row.id)
def test_config_is_the_paper_row(row):
    assert row.defines, f'{row.id}: a config row must say which switches define it'
    _check_defines(row.id, row.config, row.defines)


LINEAR_ROWS = [row for row in CONFIG_ROWS if any(key.endswith('linear_top1') for key in row.results)]


@pytest.mark.parametrize('config', sorted({row.linear_evaluation for row in LINEAR_ROWS}))
def test_linear_evaluation_is_the_papers_protocol(config):
    """AMix Sec. 4.2 (paper_results.LINEAR_PROTOCOL): batch 256 included, on every config a linear_top1 row names."""
    _check_defines('linear evaluation', config, paper_results.LINEAR_PROTOCOL)


def test_recipe_details_are_pinned_on_their_rows():
    """The switches fixed after an audit of the recipes stay in the rows' definitions (so the checks above see them):
    the linear evaluation of every linear_top1 row, reflect padding on the CIFAR-100 rows, supervised AMix's alpha and
    the last-10-epochs validation of every supervised AutoMix / AMix row."""
    assert LINEAR_ROWS and all(row.linear_evaluation for row in LINEAR_ROWS), [
        row.id for row in LINEAR_ROWS if not row.linear_evaluation]
    assert {row.linear_evaluation for row in LINEAR_ROWS if 'Tiny' in row.column or row.table in ('5', '8')} == {
        paper_results.LINEAR_TINY}
    supervised = [row for row in CONFIG_ROWS if row.paper in ('automix', 'amix') and 'top1' in row.results]
    assert len(supervised) == 15  # AutoMix Table 1 (4), AMix Tables 2 (2), 3 (2) and 8 SL (7)
    assert [row for row in ROWS if paper_results.reports_median_of_last_epochs(row)] == supervised
    for row in supervised:
        assert row.defines.items() >= paper_results.MEDIAN_OF_LAST_EPOCHS.items(), row.id
        cifar100 = 'CIFAR-100' in row.column
        assert (row.defines.items() >= paper_results.CIFAR100_REFLECT_PADDING.items()) == cifar100, row.id
        alpha = paper_results.AUTOMIX_ALPHA if row.paper == 'automix' else paper_results.AMIX_SUPERVISED_ALPHA
        assert row.defines['model.mixer.alpha'] == alpha, row.id


@pytest.mark.parametrize('config, row_id', sorted(CPU_COUNTERPARTS.items()), ids=lambda x: str(x))
def test_cpu_counterpart_has_the_paper_rows_switches(config, row_id):
    """The digits / MNIST rows differ from the paper row only in data, widths and recipe, never in the method."""
    row = paper_results.row_by_id(row_id)
    method = {path: value for path, value in row.defines.items()
              if path.startswith('model.') and not path.endswith('num_classes')}
    if config in VARIANTS or 'mixup_ce' in config:
        method['model.mixed_ce_weight'] = 1.0
    _check_defines(row_id, config, method)


def test_switch_checks_can_fail():
    """A row checked against the wrong config is caught (the checker is not vacuous)."""
    row = paper_results.row_by_id('asym.t6.b')
    with pytest.raises(AssertionError, match='model.cmi_loss'):
        _check_defines(row.id, 'configs/asym/r18_tiny.py', row.defines)
    amix = paper_results.row_by_id('amix.t8.6_bilinear.sl')
    with pytest.raises(AssertionError, match='lam_adjust'):
        _check_defines(amix.id, 'configs/amix/ablation/amix_r18_tiny_imagenet_t8_7_lam_adjust.py', amix.defines)
    with pytest.raises(AssertionError, match='<missing>'):
        _check_defines(row.id, row.config, {'model.no_such_switch': 1})
    with pytest.raises(AssertionError, match='padding_mode'):  # a list item: the zero-padding crop of CIFAR-10
        _check_defines('cifar10', 'configs/baselines/ce_r18_cifar10.py',
                       {'cfg.train_dataloader.dataset.pipeline.0.padding_mode': 'reflect'})
    with pytest.raises(AssertionError, match='batch_size'):  # the Tiny-ImageNet supervised recipe's batch of 100
        _check_defines('linear', 'configs/automix/automix_r18_tiny_imagenet.py', paper_results.LINEAR_PROTOCOL)


def test_rows_are_well_formed():
    assert len({row.id for row in ROWS}) == len(ROWS), 'row ids must be unique'
    papers = set(paper_results.PAPERS)
    tables = {(table.paper, table.table) for table in TABLES}
    for row in ROWS:
        assert row.paper in papers and (row.paper, row.table) in tables, row.id
        assert row.status in STATUSES, row.id
        assert row.results and all(isinstance(v, float) and 0 < v <= 100 for v in row.results.values()), row.id
        if row.status == CONFIG:
            assert (REPO_ROOT / row.config).is_file(), row.config
        else:
            assert row.config is None and row.reason, f'{row.id}: say why there is no config'


def test_complete_tables_have_every_row():
    """Tables marked complete: every printed row (x column group) is transcribed, with a config or a reason."""
    counts = Counter((row.paper, row.table) for row in ROWS)
    for table in TABLES:
        if table.complete:
            assert counts[(table.paper, table.table)] == table.num_rows, (table, counts[(table.paper, table.table)])


def test_paper_numbers_spot_checks():
    """A few cells read off the papers by hand, against the transcription."""
    assert paper_results.row_by_id('asym.t6.d').results == dict(accuracy=87.3, auroc=85.3)
    assert paper_results.row_by_id('asym.t2.ours.tiny').results == dict(accuracy=87.3, auroc=85.3)
    assert paper_results.row_by_id('asym.t7.mu2_eta05').results == dict(accuracy=87.4, auroc=85.0)
    assert paper_results.row_by_id('amix.t8.6_bilinear.sl').results == dict(top1=68.56)
    assert paper_results.row_by_id('amix.t3.amix.tiny_r18').results == dict(top1=68.56)
    assert paper_results.row_by_id('amix.t7.7_ce_c_bce.tiny_imagenet').results == dict(linear_top1=42.53)
    assert paper_results.row_by_id('amix.t5.amix_c.tiny_r18').results == dict(linear_top1=42.53)
    # AMix Tables 4 and 7 print different numbers for one setting (R-18, STL-10, 400 epochs): both, on one config
    for t4, t7, (printed_t4, printed_t7) in (('amix.t4.amix_i.r18_400', 'amix.t7.3_infonce_bce.stl10', (85.37, 85.44)),
                                             ('amix.t4.amix_c.r18_400', 'amix.t7.7_ce_c_bce.stl10', (85.56, 85.60))):
        t4, t7 = paper_results.row_by_id(t4), paper_results.row_by_id(t7)
        assert (t4.results['linear_top1'], t7.results['linear_top1']) == (printed_t4, printed_t7)
        assert t4.config == t7.config and 'inconsistent' in t4.reason and 'inconsistent' in t7.reason
    with pytest.raises(KeyError, match='asym.t6'):
        paper_results.row_by_id('asym.t6.e')


TABLE_CLAIM = re.compile(r'\bTable \d')


def _header(path: Path) -> str:
    lines = path.read_text().splitlines()
    return '\n'.join(line for line in lines[:6] if line.startswith('#'))


def test_every_config_that_names_a_paper_table_is_transcribed():
    """A config header that cites a paper table is a row, a declared variant (ours) or a CPU counterpart."""
    known = {row.config for row in CONFIG_ROWS} | set(VARIANTS) | set(CPU_COUNTERPARTS)
    claims = [str(path.relative_to(REPO_ROOT)) for path in sorted((REPO_ROOT / 'configs').rglob('*.py'))
              if not {'_base_', 'experiments'} & set(path.parts) and TABLE_CLAIM.search(_header(path))]
    assert claims, 'expected configs that cite paper tables'
    untranscribed = [path for path in claims if path not in known]
    assert not untranscribed, f'configs claim a paper table but are not in openmixosr/paper_results.py: {untranscribed}'
    for path in VARIANTS:  # says whose variant it is: ours, the authors' code's or the paper's own Sec. 4.1 setting
        assert any(whose in _header(REPO_ROOT / path) for whose in ('OURS', 'authors', 'Sec. 4.1 VARIANT')), path


def test_docs_page_is_the_transcription():
    """docs/paper_results.md is the output of tools/analysis/paper_rows.py: regenerate it when the rows change."""
    import importlib.util
    spec = importlib.util.spec_from_file_location('paper_rows', REPO_ROOT / 'tools/analysis/paper_rows.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert (REPO_ROOT / 'docs/paper_results.md').read_text() == tool.render(), (
        'docs/paper_results.md is stale: run python tools/analysis/paper_rows.py --out docs/paper_results.md')
