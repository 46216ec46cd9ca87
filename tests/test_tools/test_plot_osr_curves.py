import importlib.util
from pathlib import Path

import matplotlib
import matplotlib.colors
import matplotlib.image
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
             scores_msp=softmax(logits, axis=1).max(axis=1), scores_energy=logsumexp(logits, axis=1),
             scores_knn=knn_like)


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
    monkeypatch.setattr(script, 'plot_curves', lambda dumps, names, out_dir, log_x, **style: drawn.append(
        (dumps, names)) or [])
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
    monkeypatch.setattr(script, 'plot_curves', lambda dumps, names, out_dir, log_x, unknown_set, **style: drawn.append(
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


# ------------------------------------------------------------------------------------------ figures for a paper
def write_config_dump(path, seed, config):
    """A dump as tools/test.py --out writes it now: with the config that produced it."""
    write_dump(path, seed)
    with np.load(path) as data:
        arrays = dict(data)
    np.savez(path, config=np.asarray(config, dtype=str), **arrays)


def drawn_figures(script, monkeypatch):
    """Record the figures main() draws (plot_curves closes them; the objects stay readable)."""
    figures = []
    draw = script.draw_curves
    monkeypatch.setattr(script, 'draw_curves', lambda *args, **kwargs: figures.append(draw(*args, **kwargs)) or
                        figures[-1])
    return figures


def legend_texts(figure):
    return [text.get_text() for text in figure.axes[0].get_legend().get_texts()]


@pytest.mark.parametrize('file_type, magic', [('png', b'\x89PNG\r\n\x1a\n'), ('pdf', b'%PDF-'), ('svg', b'<?xml')])
def test_format_chooses_the_file_type_and_the_names(tmp_path, file_type, magic):
    script = load_script()
    write_dump(tmp_path / 'a.npz', 0)
    paths = script.main([str(tmp_path / 'a.npz'), '--out-dir', str(tmp_path / 'curves'), '--format', file_type,
                         '--labels', 'CE'])
    assert paths == [str(tmp_path / 'curves' / f'{kind}.{file_type}') for kind in ('roc', 'oscr')]
    assert sorted(path.name for path in (tmp_path / 'curves').iterdir()) == [f'oscr.{file_type}', f'roc.{file_type}']
    for path in paths:
        content = Path(path).read_bytes()
        assert content.startswith(magic)
        if file_type == 'pdf':  # text as embedded TrueType fonts, not Type 3 glyph drawings
            assert b'/FontFile2' in content and b'/Type3' not in content
        if file_type == 'svg':  # text as <text>, editable
            assert b'<text' in content and b'CE (' in content


def test_an_out_dir_that_names_a_figure_file_is_refused(tmp_path, capsys):
    script = load_script()
    write_dump(tmp_path / 'a.npz', 0)
    for out_dir, hint in ((tmp_path / 'roc.pdf', '--format pdf'), (tmp_path / 'curves.PNG', '--format png'),
                          (tmp_path / 'roc.eps', '--format pdf')):
        with pytest.raises(SystemExit):
            script.main([str(tmp_path / 'a.npz'), '--out-dir', str(out_dir)])
        error = capsys.readouterr().err
        assert 'looks like a figure file' in error and hint in error and not out_dir.exists()
    (tmp_path / 'taken').write_text('')
    with pytest.raises(SystemExit):
        script.main([str(tmp_path / 'a.npz'), '--out-dir', str(tmp_path / 'taken')])
    assert 'is an existing file, not a folder' in capsys.readouterr().err
    # A dotted folder name that is no figure type is a folder.
    paths = script.main([str(tmp_path / 'a.npz'), '--out-dir', str(tmp_path / 'curves.v2')])
    assert paths[0] == str(tmp_path / 'curves.v2' / 'roc.png')


def test_legend_labels_name_the_recorded_config_in_okabe_ito_colours(tmp_path, monkeypatch, capsys):
    script = load_script()
    write_config_dump(tmp_path / 'scores.npz', 0, 'configs/baselines/ce_r18w16_digits.py')
    write_config_dump(tmp_path / 'scores_2.npz', 1, 'openmixosr::asym/r18_digits.py')
    figures = drawn_figures(script, monkeypatch)
    script.main([str(tmp_path / 'scores.npz'), str(tmp_path / 'scores_2.npz'), '--out-dir', str(tmp_path / 'c')])
    (roc, oscr_figure), = figures
    texts = legend_texts(roc)
    assert [text.split(' (')[0] for text in texts] == ['ce_r18w16_digits', 'r18_digits']
    known, _, unknown = script.load_dump(str(tmp_path / 'scores.npz'), 'mls')
    assert texts[0] == f'ce_r18w16_digits (AUROC {100 * script.auroc(known, unknown):.2f})'
    assert [text.split(' (')[0] for text in legend_texts(oscr_figure)] == ['ce_r18w16_digits', 'r18_digits']
    colours = [matplotlib.colors.to_hex(line.get_color()).upper() for line in roc.axes[0].get_lines()[:2]]
    assert colours == list(script.OKABE_ITO[:2])

    # The scores of one dump: named by the score, the legend's title names the method.
    figures.clear()
    script.main([str(tmp_path / 'scores.npz'), '--scores', 'mls', 'knn', '--out-dir', str(tmp_path / 'c')])
    legend = figures[0][0].axes[0].get_legend()
    assert legend.get_title().get_text() == 'ce_r18w16_digits'
    assert [text.split(' (')[0] for text in legend_texts(figures[0][0])] == ['mls', 'knn']

    # Several scores of several dumps: a colour per dump, a line style per score.
    figures.clear()
    script.main([str(tmp_path / 'scores.npz'), str(tmp_path / 'scores_2.npz'), '--scores', 'mls', 'knn',
                 '--out-dir', str(tmp_path / 'c')])
    lines = figures[0][0].axes[0].get_lines()[:4]
    assert figures[0][0].axes[0].get_legend().get_title().get_text() == ''  # the labels name the methods
    assert [text.split(' (')[0] for text in legend_texts(figures[0][0])] == [
        'ce_r18w16_digits mls', 'ce_r18w16_digits knn', 'r18_digits mls', 'r18_digits knn']
    blue, vermillion = script.OKABE_ITO[:2]
    assert [(matplotlib.colors.to_hex(line.get_color()).upper(), line.get_linestyle()) for line in lines] == [
        (blue, '-'), (blue, '--'), (vermillion, '-'), (vermillion, '--')]

    # The same config twice cannot be told apart: --labels; a dump without a config: its file name, with a note.
    write_config_dump(tmp_path / 'split1.npz', 2, 'configs/baselines/ce_r18w16_digits.py')
    with pytest.raises(ValueError, match=r"would all be labelled 'ce_r18w16_digits' .*pass --labels"):
        script.main([str(tmp_path / 'scores.npz'), str(tmp_path / 'split1.npz'), '--out-dir', str(tmp_path / 'c')])
    figures.clear()
    script.main([str(tmp_path / 'scores.npz'), str(tmp_path / 'split1.npz'), '--labels', 'split 0', 'split 1',
                 '--out-dir', str(tmp_path / 'c')])
    assert [text.split(' (')[0] for text in legend_texts(figures[0][0])] == ['split 0', 'split 1']
    write_dump(tmp_path / 'old.npz', 3)
    capsys.readouterr()
    assert script.dump_labels([str(tmp_path / 'old.npz')]) == ['old']
    assert 'old.npz records no config' in capsys.readouterr().err


def test_title_font_size_and_figure_size(tmp_path, monkeypatch):
    script = load_script()
    write_config_dump(tmp_path / 'a.npz', 0, 'configs/baselines/ce_r18w16_digits.py')
    figures = drawn_figures(script, monkeypatch)
    paths = script.main([str(tmp_path / 'a.npz'), '--out-dir', str(tmp_path / 'c'), '--title', 'Digits, split 0',
                         '--font-size', '7', '--fig-size', '3.3', '3'])
    for figure in figures[0]:
        ax = figure.axes[0]
        assert tuple(figure.get_size_inches()) == pytest.approx((3.3, 3.0))
        assert ax.get_title() == 'Digits, split 0' and ax.title.get_fontsize() == 7
        assert ax.xaxis.label.get_fontsize() == 7
        assert ax.get_legend().get_texts()[0].get_fontsize() == pytest.approx(0.85 * 7)
    image = matplotlib.image.imread(paths[0])
    assert image.shape[:2] == (round(3.0 * script.PNG_DPI), round(3.3 * script.PNG_DPI))
    figures.clear()
    script.main([str(tmp_path / 'a.npz'), '--out-dir', str(tmp_path / 'c'), '--title', ''])
    assert [figure.axes[0].get_title() for figure in figures[0]] == ['', '']
    figures.clear()
    script.main([str(tmp_path / 'a.npz'), '--out-dir', str(tmp_path / 'c')])
    assert [figure.axes[0].get_title() for figure in figures[0]] == ['ROC (known = positive)', 'OSCR']
    for wrong in (['--font-size', '0'], ['--fig-size', '3', '-1'], ['--format', 'jpg']):
        with pytest.raises(SystemExit):
            script.parse_args([str(tmp_path / 'a.npz'), '--out-dir', str(tmp_path / 'c'), *wrong])


def test_curve_styles_cycle_colours_then_line_styles():
    script = load_script()
    assert script.curve_styles(3, 1) == [(colour, '-') for colour in script.OKABE_ITO[:3]]
    assert script.curve_styles(1, 2) == [(script.OKABE_ITO[0], '-'), (script.OKABE_ITO[1], '-')]
    ten = script.curve_styles(10, 1)
    assert len(set(ten)) == 10 and ten[8] == (script.OKABE_ITO[0], '--')


def test_help_lists_the_choices_and_defaults(capsys):
    with pytest.raises(SystemExit):
        load_script().parse_args(['--help'])
    text = ' '.join(capsys.readouterr().out.split())
    for expected in ('{png,pdf,svg}', 'default: png', 'default: mls', 'default: 10.0', 'default: 4.5 4.0',
                     'roc.pdf is refused', 'the config each dump records'):
        assert expected in text, expected
