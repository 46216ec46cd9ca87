"""The published open-set split tables (Neal et al. 2018; docs/datasets.md, Method reference) and their lookup."""
import pytest

from openmixosr.datasets import BENCHMARKS, get_open_set_split
from openmixosr.datasets import splits

# benchmark -> (number of known classes, number of classes of the known dataset, unknown count, unknown dataset size)
SIZES = {
    'mnist': (6, 10, None, None),
    'svhn': (6, 10, None, None),
    'cifar10': (6, 10, None, None),
    'cifar+10': (4, 10, 10, 100),
    'cifar+50': (4, 10, 50, 100),
    'tiny_imagenet': (20, 200, None, None),
}


def test_benchmark_names():
    assert set(BENCHMARKS) == set(SIZES)


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
