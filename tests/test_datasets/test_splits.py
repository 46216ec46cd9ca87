"""The published open-set split tables (Neal et al. 2018, the Semantic Shift Benchmark; docs/datasets.md, Method
reference) and their lookup."""
import json
import re
from importlib import resources

import pytest

from openmixosr.datasets import (BENCHMARKS, NAMED_SET_BENCHMARKS, get_open_set_split, get_unknown_sets,
                                 required_num_classes, splits)

# benchmark -> (number of known classes, number of classes of the known dataset, unknown count, unknown dataset size)
SIZES = {
    'mnist': (6, 10, None, None),
    'svhn': (6, 10, None, None),
    'cifar10': (6, 10, None, None),
    'cifar+10': (4, 10, 10, 100),
    'cifar+50': (4, 10, 50, 100),
    'tiny_imagenet': (20, 200, None, None),
}


# SSB benchmark -> (classes of the source, known, easy, medium + hard), counted by hand in the published JSON files
SSB_SIZES = {
    'ssb_cub': (200, 100, 32, 34 + 34),
    'ssb_scars': (196, 98, 76, 15 + 7),
    'ssb_aircraft': (100, 50, 20, 17 + 13),
}


def test_benchmark_names():
    assert set(BENCHMARKS) == set(SIZES) | set(SSB_SIZES) | {'in21k_ssb'}
    assert set(NAMED_SET_BENCHMARKS) == set(SSB_SIZES) | {'in21k_ssb'}


@pytest.mark.parametrize('name', sorted(SIZES))
def test_five_valid_splits(name):
    num_known, num_classes, num_unknown, unknown_classes = SIZES[name]
    seen = set()
    for index in range(5):
        known, unknown = get_open_set_split(name, index)
        assert len(known) == num_known and len(set(known)) == num_known
        assert all(isinstance(c, int) and 0 <= c < num_classes for c in known)
        if num_unknown is None:
            assert unknown is None
        else:
            assert len(unknown) == num_unknown and len(set(unknown)) == num_unknown
            assert all(0 <= c < unknown_classes for c in unknown)
        seen.add(tuple(known) + tuple(unknown or ()))
    assert len(seen) == 5  # five different splits


def test_entries_spelled_out():
    assert get_open_set_split('mnist', 0) == ([2, 4, 5, 9, 8, 3], None)
    assert get_open_set_split('svhn', 4)[0] == [4, 9, 2, 7, 1, 0]
    assert get_open_set_split('cifar10', 2)[0] == [1, 5, 7, 3, 9, 4]
    assert get_open_set_split('cifar+10', 0) == ([4, 7, 9, 1], [30, 25, 1, 9, 8, 0, 46, 52, 49, 71])
    known, unknown = get_open_set_split('cifar+50', 4)
    assert known == [1, 0, 9, 8]
    assert unknown[:5] == [47, 6, 19, 0, 62] and unknown[-3:] == [63, 88, 43]
    assert get_open_set_split('tiny_imagenet', 3)[0][:4] == [98, 36, 158, 177]


def test_cifar_plus50_extends_cifar_plus10():
    # In the published tables the last ten CIFAR+50 classes of a split are that split's CIFAR+10 classes.
    for index in range(5):
        assert get_open_set_split('cifar+50', index)[1][-10:] == get_open_set_split('cifar+10', index)[1]
        assert get_open_set_split('cifar+50', index)[0] == get_open_set_split('cifar+10', index)[0]


def test_lookup_returns_copies():
    known, _ = get_open_set_split('cifar10', 0)
    known.append(99)
    assert splits.CIFAR10_KNOWN[0] == (0, 6, 4, 9, 1, 7)
    assert get_open_set_split('cifar10', 0)[0] == [0, 6, 4, 9, 1, 7]


@pytest.mark.parametrize('name,index', [('cifar100', 0), ('CIFAR10', 0), ('mnist', 5), ('mnist', -1),
                                             ('svhn', '1'), ('svhn', True), ('tiny_imagenet', 1.0)])
def test_bad_lookup(name, index):
    with pytest.raises(ValueError, match='benchmark|split index'):
        get_open_set_split(name, index)


# --- Semantic Shift Benchmark ---


@pytest.mark.parametrize('name', sorted(SSB_SIZES))
def test_ssb_tables_partition_the_classes(name):
    num_classes, num_known, num_easy, num_hard = SSB_SIZES[name]
    known, unknown = get_open_set_split(name, 0)
    sets = get_unknown_sets(name)
    assert unknown is None and list(sets) == ['easy', 'hard']
    assert (len(known), len(sets['easy']), len(sets['hard'])) == (num_known, num_easy, num_hard)
    # Known, easy and hard are disjoint and together every class of the dataset once.
    every = known + sets['easy'] + sets['hard']
    assert sorted(every) == list(range(num_classes))
    assert required_num_classes(name) == num_classes


def test_ssb_entries_spelled_out():
    # Hand-copied from the published JSON files: order is kept, Medium comes before Hard in 'hard'.
    cub_known, _ = get_open_set_split('ssb_cub', 0)
    assert cub_known[:4] == [150, 70, 34, 178] and cub_known[-1] == 136
    cub = get_unknown_sets('ssb_cub')
    assert cub['easy'][:3] == [20, 159, 173] and cub['easy'][-1] == 138
    assert cub['hard'][:2] == [152, 195]  # first Medium classes
    assert cub['hard'][34:36] == [29, 110] and cub['hard'][-1] == 125  # first and last Hard classes
    aircraft = get_unknown_sets('ssb_aircraft')
    assert get_open_set_split('ssb_aircraft', 0)[0][:7] == [0, 1, 2, 3, 4, 5, 10]
    assert aircraft['easy'][:3] == [80, 81, 42]
    assert aircraft['hard'][:2] == [78, 82] and aircraft['hard'][17:19] == [6, 7]
    scars = get_unknown_sets('ssb_scars')
    assert get_open_set_split('ssb_scars', 0)[0][:3] == [1, 11, 25]
    assert scars['easy'][:3] == [4, 5, 6]
    assert scars['hard'][:3] == [3, 8, 10] and scars['hard'][15:] == [23, 42, 83, 94, 113, 126, 190]


def _packaged_table(file_name):
    return json.loads((resources.files('openmixosr.datasets') / 'ssb_splits' / file_name).read_text())


def test_in21k_ssb_known_are_all_source_classes_and_sets_are_wnids():
    assert get_open_set_split('in21k_ssb', 0) == (None, None)  # the ImageNet-1K known list is not used
    assert required_num_classes('in21k_ssb') is None
    sets = get_unknown_sets('in21k_ssb')
    assert (len(sets['easy']), len(sets['hard'])) == (1000, 980)
    assert sets['easy'][:3] == ['n00021939', 'n00015388', 'n03183080']
    every = sets['easy'] + sets['hard']
    assert len(set(every)) == 1980 and all(re.fullmatch(r'n\d{8}', wnid) for wnid in every)
    # Disjoint from ImageNet-1K (the table's known list), hence from Tiny-ImageNet's 200 classes.
    imagenet_1k = _packaged_table('imagenet_ssb_splits.json')['known_classes']
    assert len(imagenet_1k) == 1000 and not set(every) & set(imagenet_1k)


def test_ssb_tables_are_shipped_in_the_package():
    for file_name in ('cub_ssb_splits.json', 'scars_ssb_splits.json', 'aircraft_ssb_splits.json',
                      'imagenet_ssb_splits.json'):
        table = _packaged_table(file_name)
        assert set(table) == {'known_classes', 'unknown_classes'}
    assert _packaged_table('cub_ssb_splits.json')['unknown_classes']['Medium'][0] == 152


def test_unknown_sets_lookup_returns_copies():
    get_unknown_sets('ssb_cub')['easy'].append(999)
    get_open_set_split('ssb_cub', 0)[0].append(999)
    assert len(get_unknown_sets('ssb_cub')['easy']) == 32 and len(get_open_set_split('ssb_cub', 0)[0]) == 100


@pytest.mark.parametrize('name', sorted(NAMED_SET_BENCHMARKS))
@pytest.mark.parametrize('index', [1, 4, -1, True, '0'])
def test_ssb_has_one_split(name, index):
    with pytest.raises(ValueError, match='one published split.*must be 0'):
        get_open_set_split(name, index)


def test_named_sets_errors():
    with pytest.raises(ValueError, match="'cifar10' has no named unknown sets"):
        get_unknown_sets('cifar10')
    with pytest.raises(ValueError, match='Unknown open-set benchmark'):
        get_unknown_sets('ssb_cars')
    with pytest.raises(ValueError, match='Unknown open-set benchmark'):
        required_num_classes('ssb_cars')
    assert required_num_classes('cifar10') is None


def test_a_benchmark_registered_from_outside_the_package(monkeypatch):
    from openmixosr.datasets import benchmarks, register_benchmark, split_count
    from openmixosr.datasets import splits as splits_module
    monkeypatch.setattr(splits_module, '_BENCHMARKS', dict(splits_module._BENCHMARKS))  # undone after the test
    register_benchmark('digits_halves', known=[(0, 1, 2, 3, 4), (5, 6, 7, 8, 9)])
    assert 'digits_halves' in benchmarks() and split_count('digits_halves') == 2
    assert get_open_set_split('digits_halves', 1) == ([5, 6, 7, 8, 9], None)
    with pytest.raises(ValueError, match=r'split index of digits_halves must be an integer in 0..1, got 2'):
        get_open_set_split('digits_halves', 2)
    with pytest.raises(ValueError, match="'digits_halves' exists already"):
        register_benchmark('digits_halves', known=[(0, 1)])
    with pytest.raises(ValueError, match='a class is listed twice'):
        register_benchmark('twice', known=[(0, 0)])
    with pytest.raises(ValueError, match='2 known splits but 1 unknown ones'):
        register_benchmark('uneven', known=[(0, ), (1, )], unknown=[(3, )])
    with pytest.raises(ValueError, match='a benchmark of your own: openmixosr.datasets.register_benchmark'):
        get_open_set_split('no_such', 0)
