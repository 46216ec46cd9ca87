import importlib.util
from pathlib import Path

import numpy as np
import pytest

from scipy.special import logsumexp, softmax

SCRIPT = Path(__file__).resolve().parents[2] / 'tools' / 'analysis' / 'plot_osr_curves.py'


def load_script():
    spec = importlib.util.spec_from_file_location('plot_osr_curves', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_dump(path, seed):
    """A synthetic dump with the layout OpenSetScoreDump writes."""
    rng = np.random.default_rng(seed)
    labels = np.r_[rng.integers(0, 4, 80), np.full(50, -1)].astype(np.int64)
    logits = rng.normal(size=(130, 4)).astype(np.float32)
    logits[np.arange(80), labels[:80]] += 2.0
    knn_like = np.r_[rng.normal(1.0, 1.0, 80), rng.normal(-1.0, 1.0, 50)]  # any stored score: here a separating one
    np.savez(path, logits=logits, labels=labels, scores_mls=logits.max(axis=1),
             scores_msp=softmax(logits, axis=1).max(axis=1), scores_energy=logsumexp(logits, axis=1), scores_knn=knn_like)


def test_plot_osr_curves_writes_pngs(tmp_path):
    script = load_script()
    dumps = [tmp_path / 'a.npz', tmp_path / 'b.npz']
    for seed, dump in enumerate(dumps):
        write_dump(dump, seed)
    out_dir = tmp_path / 'curves'
    paths = script.main([str(dumps[0]), str(dumps[1]), '--out-dir', str(out_dir), '--scores', 'energy',
                         '--labels', 'first', 'second', '--log-x'])
    assert paths == [str(out_dir / 'roc.png'), str(out_dir / 'oscr.png')]
    for path in paths:
        assert Path(path).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_load_dump_splits_known_and_unknown(tmp_path):
    script = load_script()
    write_dump(tmp_path / 'a.npz', 0)
    dump = script.load_dump(str(tmp_path / 'a.npz'), 'mls')
    with np.load(tmp_path / 'a.npz') as data:
        known = data['labels'] >= 0
        np.testing.assert_array_equal(dump.known_scores, data['scores_mls'][known])
        np.testing.assert_array_equal(dump.unknown_scores, data['scores_mls'][~known])
        np.testing.assert_array_equal(dump.known_correct, data['logits'][known].argmax(1) == data['labels'][known])


def test_plot_several_scores_in_one_figure(tmp_path, monkeypatch):
    script = load_script()
    write_dump(tmp_path / 'a.npz', 0)
    drawn = []
    monkeypatch.setattr(script, 'plot_curves', lambda dumps, names, out_dir, log_x: drawn.append((dumps, names)) or [])
    script.main([str(tmp_path / 'a.npz'), '--out-dir', str(tmp_path / 'curves'), '--scores', 'mls', 'knn'])
    (dumps, names), = drawn
    assert names == ['mls', 'knn']
    with np.load(tmp_path / 'a.npz') as data:
        known = data['labels'] >= 0
        np.testing.assert_array_equal(dumps[1].known_scores, data['scores_knn'][known])
        np.testing.assert_array_equal(dumps[0].unknown_scores, data['scores_mls'][~known])
    paths = load_script().main([str(tmp_path / 'a.npz'), '--out-dir', str(tmp_path / 'curves'), '--scores', 'mls',
                                'knn'])
    assert all(Path(path).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n' for path in paths)


def test_curve_names_of_dumps_and_scores():
    script = load_script()
    assert script.curve_names(['a', 'b'], ['mls']) == ['a', 'b']
    assert script.curve_names(['a'], ['mls', 'knn']) == ['mls', 'knn']
    assert script.curve_names(['a', 'b'], ['mls', 'knn']) == ['a mls', 'a knn', 'b mls', 'b knn']


def test_missing_score_names_the_stored_ones(tmp_path):
    script = load_script()
    write_dump(tmp_path / 'a.npz', 0)
    with pytest.raises(KeyError, match=r"no score 'vim'; it has \['energy', 'knn', 'mls', 'msp'\]"):
        script.load_dump(str(tmp_path / 'a.npz'), 'vim')


def write_set_dump(path, seed, sets=('easy', 'hard')):
    """A dump of a test set with named unknown sets: 'easy' unknowns far below the known scores, 'hard' ones close."""
    rng = np.random.default_rng(seed)
    names = np.array([''] * 40 + [name for name in sets for _ in range(20)])
    labels = np.where(names == '', rng.integers(0, 3, len(names)), -1).astype(np.int64)
    logits = rng.normal(size=(len(names), 3)).astype(np.float32)
    logits[names == ''] += 3.0 * np.eye(3, dtype=np.float32)[labels[names == '']]
    logits[names == 'easy'] -= 2.0
    np.savez(path, logits=logits, labels=labels, unknown_set=names, scores_mls=logits.max(axis=1))


def test_plot_one_figure_pair_per_unknown_set(tmp_path, monkeypatch):
    script = load_script()
    dumps = [tmp_path / 'a.npz', tmp_path / 'b.npz']
    for seed, dump in enumerate(dumps):
        write_set_dump(dump, seed)
    assert script.stored_unknown_sets(str(dumps[0])) == ['easy', 'hard']
    out_dir = tmp_path / 'curves'
    paths = script.main([str(dumps[0]), str(dumps[1]), '--out-dir', str(out_dir)])
    assert paths == [str(out_dir / name) for name in ('roc_easy.png', 'oscr_easy.png', 'roc_hard.png', 'oscr_hard.png')]
    for path in paths:
        assert Path(path).read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    drawn = []
    monkeypatch.setattr(script, 'plot_curves', lambda dumps, names, out_dir, log_x, unknown_set: drawn.append(
        (unknown_set, dumps, names)) or [])
    script.main([str(dumps[0]), '--out-dir', str(out_dir)])
    assert [unknown_set for unknown_set, _, _ in drawn] == ['easy', 'hard']
    with np.load(dumps[0]) as data:
        names, labels, scores = data['unknown_set'], data['labels'], data['scores_mls']
    for unknown_set, (dump, ), _ in drawn:
        np.testing.assert_array_equal(dump.known_scores, scores[labels >= 0])  # all known samples in every set
        np.testing.assert_array_equal(dump.unknown_scores, scores[names == unknown_set])


def test_load_dump_of_one_set_and_mismatched_dumps(tmp_path):
    script = load_script()
    write_set_dump(tmp_path / 'a.npz', 0)
    write_dump(tmp_path / 'plain.npz', 0)
    write_set_dump(tmp_path / 'easy_only.npz', 0, sets=('easy', ))
    merged = script.load_dump(str(tmp_path / 'a.npz'), 'mls')
    easy = script.load_dump(str(tmp_path / 'a.npz'), 'mls', 'easy')
    assert len(merged.unknown_scores) == 40 and len(easy.unknown_scores) == 20
    np.testing.assert_array_equal(easy.known_correct, merged.known_correct)
    with pytest.raises(KeyError, match=r"no unknown set 'medium'; it has \['easy', 'hard'\]"):
        script.load_dump(str(tmp_path / 'a.npz'), 'mls', 'medium')
    with pytest.raises(KeyError, match="no unknown set 'easy'; it has none"):
        script.load_dump(str(tmp_path / 'plain.npz'), 'mls', 'easy')
    with pytest.raises(ValueError, match='different unknown sets .*plain.npz: no unknown_set'):
        script.main([str(tmp_path / 'a.npz'), str(tmp_path / 'plain.npz'), '--out-dir', str(tmp_path / 'c')])
    with pytest.raises(ValueError, match=r"easy_only.npz: \['easy'\]"):
        script.main([str(tmp_path / 'a.npz'), str(tmp_path / 'easy_only.npz'), '--out-dir', str(tmp_path / 'c')])
