"""openmixosr.apis.OpenSetInferencer and tools/infer.py against tools/test.py --out on the same digits.

One tiny checkpoint (the CE digits config, 2 epochs on 128 training digits) is tested by ``tools/test.py --out`` with
MLS, KNN and ViM, which also writes the score cache next to it. The inferencer, given the test set's own arrays in
dataset order (the batches of tools/test.py), and ``tools/infer.py`` (through the console command), given the same
images as PNG files in a folder, must reproduce the dump's logits and scores exactly, load the fitted KNN / ViM
statistics from the cache instead of collecting the training set again, and decide known / unknown at the threshold
that keeps 95 % of the known validation samples (here the test set: val = test in the digits config).
"""
import csv
import subprocess

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from openmixosr.apis import OpenSetInferencer
from openmixosr.apis.open_set_inferencer import list_inputs, load_input
from openmixosr.datasets.loading import StrictLoadImageFromFile
from openmixosr.engine import CheckpointMismatchError, KnownClassesMismatchError
from openmixosr.evaluation import score_fitting
from openmixosr.evaluation.functional import threshold_at_tpr
from openmixosr.registry import DATASETS
from openmixosr.utils.checkpoint_io import load_checkpoint_file
from tests.helpers.run_tool import REPO_ROOT, run_tool, tool_env, warm_python

CE = REPO_ROOT / 'configs/baselines/ce_r18w16_digits.py'
SHORT = ['train_cfg.max_epochs=2', 'train_dataloader.dataset.indices=128']
SCORES = ('mls', 'knn', 'vim')


def _test_set(split=0):
    cfg = Config.fromfile(CE)
    with DefaultScope.overwrite_default_scope('openmixosr'):
        return DATASETS.build(dict(cfg.test_dataloader.dataset, osr_split=split))


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """A trained checkpoint, its ``tools/test.py --out`` dump (MLS, KNN, ViM) and the test set's images."""
    work = tmp_path_factory.mktemp('infer')
    run_tool('train.py', CE, '--work-dir', work / 'run', '--cfg-options', *SHORT)
    checkpoint = work / 'run' / 'epoch_2.pth'
    dump = work / 'scores.npz'
    run_tool('test.py', CE, checkpoint, '--work-dir', work / 'test', '--out', dump, '--scores', *SCORES)
    assert (work / 'run' / 'epoch_2.pth.scores_cache.npz').is_file()
    dataset = _test_set()
    images = [dataset.get_data_info(index)['img'] for index in range(len(dataset))]
    with np.load(dump) as data:
        arrays = {name: data[name] for name in data.files}
    return dict(work=work, checkpoint=checkpoint, dump=arrays, images=images)


@pytest.fixture(scope='module')
def inferencer(trained):
    collected = []
    original = score_fitting.collect_feature_bank
    score_fitting.collect_feature_bank = lambda *args: collected.append(args) or original(*args)
    try:
        inferencer = OpenSetInferencer(f'openmixosr::baselines/{CE.name}', str(trained['checkpoint']), scores=SCORES,
                                       device='cpu')
    finally:
        score_fitting.collect_feature_bank = original
    assert collected == []  # KNN / ViM statistics from the cache tools/test.py wrote
    return inferencer


def test_arrays_give_the_logits_scores_and_thresholds_of_tools_test(trained, inferencer):
    dump = trained['dump']
    results = inferencer(trained['images'])
    assert [result['input'] for result in results[:2]] == ['array[0]', 'array[1]']
    logits = np.stack([result['logits'] for result in results])
    np.testing.assert_array_equal(logits, dump['logits'])  # max |difference| 0: same batches, same code
    known = dump['labels'] >= 0
    meta = load_checkpoint_file(str(trained['checkpoint']))['meta']['dataset_meta']
    assert inferencer.classes == tuple(meta['classes']) and len(inferencer.classes) == 6
    assert inferencer.score_names == list(SCORES)
    for name in SCORES:
        values = np.array([result['scores'][name] for result in results])
        np.testing.assert_array_equal(values, dump[f'scores_{name}'])
        # The threshold keeping 95 % of the known validation samples (the test set here), from the dump's scores.
        assert inferencer.thresholds[name] == threshold_at_tpr(dump[f'scores_{name}'][known], 0.95)
        assert np.mean(dump[f'scores_{name}'][known] >= inferencer.thresholds[name]) >= 0.95
    decisions = np.array([result['known'] for result in results])
    np.testing.assert_array_equal(decisions, dump['scores_mls'] >= inferencer.thresholds['mls'])  # the first score
    assert 0 < decisions.sum() < len(decisions)
    assert [result['pred_class'] for result in results] == [inferencer.classes[i] for i in dump['logits'].argmax(1)]
    assert [result['pred_label'] for result in results] == dump['logits'].argmax(1).tolist()


def test_console_command_on_a_folder_of_png_files_writes_the_csv(trained):
    """``openmixosr infer`` on the test images saved as PNG files (RGB written as such): the dump's numbers."""
    folder = trained['work'] / 'pngs'
    folder.mkdir()
    for index, image in enumerate(trained['images']):
        cv2.imwrite(str(folder / f'digit_{index:03d}.png'), image[..., ::-1])  # cv2 writes BGR
    (folder / 'notes.txt').write_text('not an image: skipped')
    out = trained['work'] / 'predictions.csv'
    python = warm_python()  # `python -m openmixosr.cli` in a fresh process (tests/helpers/warm_python.py)
    result = subprocess.run([python, '-m', 'openmixosr.cli', 'infer', str(CE), str(trained['checkpoint']),
                             str(folder), '--scores', *SCORES, '--out', str(out)], cwd=trained['work'],
                            env=tool_env(python), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'Loaded the fitted open-set scores' in result.stdout + result.stderr
    with open(out, newline='') as file:
        rows = list(csv.DictReader(file))
    dump = trained['dump']
    assert len(rows) == len(dump['labels'])
    assert list(rows[0]) == ['path', 'pred_class', 'pred_label', *SCORES, 'decision']
    assert [row['path'] for row in rows] == [str(folder / f'digit_{index:03d}.png') for index in range(len(rows))]
    for name in SCORES:
        np.testing.assert_array_equal(np.array([float(row[name]) for row in rows]), dump[f'scores_{name}'])
    assert [int(row['pred_label']) for row in rows] == dump['logits'].argmax(1).tolist()
    known = dump['labels'] >= 0
    threshold = threshold_at_tpr(dump['scores_mls'][known], 0.95)
    assert [row['decision'] for row in rows] == ['known' if s >= threshold else 'unknown' for s in dump['scores_mls']]
    assert f'{len(rows)} images: ' in result.stdout and '... and ' in result.stdout  # 20 rows shown, all in the CSV


def test_a_file_and_its_array_are_the_same_image_in_both_channel_orders(tmp_path):
    """RGB arrays; a PNG decodes to the same RGB array for array-backed configs, and to what the config's loading
    transform gives for configs that decode files (the array is turned to BGR for those)."""
    image = np.random.default_rng(0).integers(0, 256, (9, 7, 3), dtype=np.uint8)  # colour: the order matters
    path = tmp_path / 'colour.png'
    cv2.imwrite(str(path), image[..., ::-1])
    np.testing.assert_array_equal(load_input(str(path), decoder=None)['img'], image)
    np.testing.assert_array_equal(load_input(image, decoder=None)['img'], image)
    decoder = StrictLoadImageFromFile()
    decoded = load_input(str(path), decoder=decoder)
    np.testing.assert_array_equal(decoded['img'], image[..., ::-1])
    from_array = load_input(image, decoder=decoder)
    np.testing.assert_array_equal(from_array['img'], decoded['img'])
    assert from_array['img_shape'] == decoded['img_shape'] == (9, 7)
    gray = load_input(image[..., 0], decoder=None)['img']
    assert gray.shape == (9, 7, 3) and (gray == image[..., :1]).all()
    with pytest.raises(ValueError, match='must be uint8'):
        load_input(image.astype(np.float32), decoder=None)
    with pytest.raises(ValueError, match=r'H x W x 3 \(RGB\) or H x W \(gray\), got shape \(9, 7, 4\)'):
        load_input(np.zeros((9, 7, 4), np.uint8), decoder=None)


def test_inputs_are_listed_in_order_and_missing_or_empty_ones_refused(tmp_path):
    (tmp_path / 'b.png').write_bytes(b'x')
    (tmp_path / 'a.jpg').write_bytes(b'x')
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'c.png').write_bytes(b'x')
    array = np.zeros((4, 4, 3), np.uint8)
    names = [name for name, _ in list_inputs([array, tmp_path, str(tmp_path / 'sub' / 'c.png'), array])]
    assert names == ['array[0]', str(tmp_path / 'a.jpg'), str(tmp_path / 'b.png'), str(tmp_path / 'sub' / 'c.png'),
                     'array[1]']
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'empty' / 'readme.txt').write_text('')
    with pytest.raises(ValueError, match='holds no image files'):
        list_inputs(tmp_path / 'empty')
    with pytest.raises(FileNotFoundError, match='No such image file or folder'):
        list_inputs(str(tmp_path / 'missing.png'))
    with pytest.raises(ValueError, match='No images to predict'):
        list_inputs([])


def test_an_empty_folder_is_an_error_of_the_call(inferencer, tmp_path):
    with pytest.raises(ValueError, match=f'The folder {tmp_path} holds no image files'):
        inferencer(tmp_path)


def test_an_unknown_score_fails_before_anything_is_read(tmp_path):
    with pytest.raises(KeyError, match="unknown open-set score 'mlss'"):
        OpenSetInferencer(str(CE), str(tmp_path / 'no_such.pth'), scores=('mlss', ))
    with pytest.raises(ValueError, match=r'threshold_tpr .* in \(0, 1\]; got 95'):
        OpenSetInferencer(str(CE), str(tmp_path / 'no_such.pth'), threshold_tpr=95)


def test_a_checkpoint_that_does_not_fit_or_has_other_classes_is_refused(trained, tmp_path):
    checkpoint = load_checkpoint_file(str(trained['checkpoint']))
    del checkpoint['state_dict']['head.fc.weight']
    torch.save(checkpoint, tmp_path / 'partial.pth')
    with pytest.raises(CheckpointMismatchError, match=r'does not fit the model of this config(?s:.*)head\.fc\.weight'):
        OpenSetInferencer(str(CE), str(tmp_path / 'partial.pth'), threshold_tpr=None)
    checkpoint = load_checkpoint_file(str(trained['checkpoint']))
    checkpoint['meta']['dataset_meta'] = _test_set(split=1).metainfo
    torch.save(checkpoint, tmp_path / 'split1.pth')
    with pytest.raises(KnownClassesMismatchError, match='split1.pth was trained on the known classes'):
        OpenSetInferencer(str(CE), str(tmp_path / 'split1.pth'), threshold_tpr=None)


def test_without_a_threshold_there_is_no_decision_and_no_validation_pass(trained, monkeypatch):
    from openmixosr.apis import open_set_inferencer
    monkeypatch.setattr(open_set_inferencer, 'collect_feature_bank', lambda *args: pytest.fail('validation pass'))
    inferencer = OpenSetInferencer(str(CE), str(trained['checkpoint']), scores=('energy', ), threshold_tpr=None,
                                   batch_size=3)
    results = inferencer(trained['images'][:5])
    assert inferencer.thresholds == {} and [result['known'] for result in results] == [None] * 5
    # Batches of 3 instead of 128: the same network, up to float summation order.
    np.testing.assert_allclose(np.stack([result['logits'] for result in results]), trained['dump']['logits'][:5],
                               rtol=0, atol=1e-5)


def _infer_tool():
    import importlib.util
    spec = importlib.util.spec_from_file_location('infer_tool', REPO_ROOT / 'tools' / 'infer.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_infer_tool_options_and_table():
    from openmixosr.evaluation.scores import score_configs
    tool = _infer_tool()
    args = tool.parse_args(['c.py', 'c.pth', 'a.png', '--scores', 'all'])
    assert args.scores == list(score_configs()) and len(args.scores) == 18 and args.threshold_tpr == 0.95
    assert tool.parse_args(['c.py', 'c.pth', 'a.png']).scores == ['mls', 'msp', 'energy']
    for wrong in (['--scores', 'all', 'mls'], ['--out', 'predictions.txt']):
        with pytest.raises(SystemExit):
            tool.parse_args(['c.py', 'c.pth', 'a.png', *wrong])
    results = [dict(input=f'img{i}.png', pred_class='7', pred_label=1, scores=dict(mls=1.5 * i), known=i > 0,
                    logits=None) for i in range(3)]
    table = tool.format_table(results, ['mls'], max_rows=2).splitlines()
    assert table == ['path      class  mls     decision', 'img0.png  7      0.0000  unknown',
                     'img1.png  7      1.5000  known', '... and 1 more']


def test_the_example_of_get_started_runs(trained, tmp_path, monkeypatch, capsys):
    """The python block of docs/get_started.md "Inference", with the trained checkpoint in place of epoch_30.pth."""
    import re
    text = (REPO_ROOT / 'docs' / 'get_started.md').read_text()
    section = text[text.index('## Inference'):]
    code = re.search(r'```python\n(.*?)```', section[:section.index('\n## ', 3)], re.S).group(1)
    assert "'work_dirs/ce_r18w16_digits/epoch_30.pth'" in code
    code = code.replace("'work_dirs/ce_r18w16_digits/epoch_30.pth'", repr(str(trained['checkpoint'])))
    (tmp_path / 'more_digits').mkdir()
    for index, path in ((0, 'digit.png'), (1, 'more_digits/a.png'), (2, 'more_digits/b.png')):
        cv2.imwrite(str(tmp_path / path), trained['images'][index][..., ::-1])
    monkeypatch.chdir(tmp_path)
    exec(compile(code, 'get_started.md', 'exec'), {})
    lines = [line for line in capsys.readouterr().out.splitlines() if ' - mmengine - ' not in line]
    assert [line.split()[0] for line in lines[:3]] == ['digit.png', 'more_digits/a.png', 'more_digits/b.png']
    assert lines[3].startswith("{'mls': ") and "'knn': " in lines[3]
