"""The docs/get_started.md recipes of a new open-set score, dataset source and benchmark, run exactly as written."""
import importlib
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from tests.helpers.run_tool import REPO_ROOT, run_tool
from tests.test_docs.test_get_started_recipes import EXTENSION_FILES as FILES
from tests.test_docs.test_get_started_recipes import recipe_files


@pytest.fixture(scope='module')
def recipes(tmp_path_factory):
    root = tmp_path_factory.mktemp('extension')
    files = recipe_files()
    for relative in FILES:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[relative].replace("'../configs/", f"'{REPO_ROOT}/configs/"))
    (root / 'my_extension' / '__init__.py').write_text('')
    from openmixosr.datasets import splits
    saved = dict(splits._BENCHMARKS)
    sys.path.insert(0, str(root))
    try:
        modules = {name: importlib.import_module(f'my_extension.{name}')
                   for name in ('margin_score', 'shifted_digits', 'odd_even_benchmark')}
        yield SimpleNamespace(root=root, **modules)
    finally:
        sys.path.remove(str(root))
        splits._BENCHMARKS.clear()
        splits._BENCHMARKS.update(saved)
        from openmixosr.registry import DATASETS, OPEN_SET_SCORES
        OPEN_SET_SCORES._module_dict.pop('MarginScore', None)
        DATASETS._module_dict.pop('ShiftedDigits', None)
        for name in [name for name in sys.modules if name.startswith('my_extension')]:
            del sys.modules[name]


def test_the_margin_score_by_hand_and_by_name(recipes):
    from openmixosr.evaluation.scores import FeatureBank, all_one_pass_scores, build_score
    logits = np.array([[3.0, 1.0, 0.5], [2.0, 2.0, -1.0]], dtype=np.float32)
    score = build_score('margin')
    assert np.array_equal(score.fit().score(FeatureBank(features=None, logits=logits)), [2.0, 0.0])
    assert dict(type='MarginScore') in all_one_pass_scores()
    with pytest.raises(ValueError):  # a one-class head has no second logit
        build_score('margin').fit().score(FeatureBank(features=None, logits=np.zeros((2, 1), np.float32)))


def test_the_shifted_source_and_the_odd_even_benchmark(recipes):
    from openmixosr.datasets import Digits, get_open_set_split, split_count
    from openmixosr.registry import DATASETS
    shifted, plain = DATASETS.build(dict(type='ShiftedDigits', split='test')), Digits(split='test')
    assert np.array_equal(shifted.get_data_info(0)['img'], np.roll(plain.get_data_info(0)['img'], 1, axis=1))
    assert split_count('odd_even') == 2 and get_open_set_split('odd_even', 1) == ([0, 2, 4, 6, 8], None)
    dataset = DATASETS.build(dict(type='OpenSetDataset', source=dict(type='ShiftedDigits', split='test'),
                                  benchmark='odd_even', osr_split=1, with_unknown=True))
    labels = dataset.get_gt_labels()
    assert set(labels.tolist()) == {-1, 0, 1, 2, 3, 4} and dataset.metainfo['classes'] == ('0', '2', '4', '6', '8')


def test_the_recipe_config_trains_with_the_three_components(recipes, tmp_path, monkeypatch):
    monkeypatch.setenv('PYTHONPATH', str(recipes.root))
    work_dir = tmp_path / 'work'
    result = run_tool('train.py', recipes.root / 'my_configs' / 'margin_odd_even_digits.py', '--work-dir', work_dir,
                      '--cfg-options', 'split=1', 'train_cfg.max_epochs=2', 'train_dataloader.dataset.indices=64',
                      'val_dataloader.dataset.indices=64', 'default_hooks.logger.interval=1')
    output = result.stdout + result.stderr
    assert (work_dir / 'epoch_2.pth').exists()
    assert 'margin *' in output and 'osr/mls/auroc' in output  # the headline row and the listed score
    assert "type='ShiftedDigits'" in output and "benchmark='odd_even'" in output
