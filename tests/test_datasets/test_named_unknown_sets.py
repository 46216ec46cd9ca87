"""OpenSetDataset with named unknown sets: the Semantic Shift Benchmark (CUB, Stanford Cars, FGVC-Aircraft) and the
large-scale benchmark (Tiny-ImageNet vs ImageNet-21K), on fake data with the real class counts."""
import json
import os.path as osp

import pytest
from fake_data import cub_folder, write_imagenet21k
from mmengine.dataset import pseudo_collate

import openmixosr.datasets
import openmixosr.datasets.imagenet21k as imagenet21k_module
from openmixosr.datasets import OpenSetDataset, get_open_set_split, get_unknown_sets
from openmixosr.engine.checkpoint_compat import known_classes_mismatch
from openmixosr.registry import DATASETS

PACK = dict(type='PackInputs', algorithm_keys=('unknown_set', ))
PIPELINE = [dict(type='StrictLoadImageFromFile'), PACK]


def cub(root, split='test'):
    return dict(type='CUB', data_root=osp.join(root, 'CUB_200_2011'), split=split)


def tiny(fake_root_dir):
    return dict(type='TinyImageNet', data_root=osp.join(fake_root_dir, 'tiny-imagenet-200'), split='val')


def in21k(root):
    return dict(type='ImageNet21KFolder', data_root=osp.join(root, 'imagenet21k'))


def infos(dataset):
    return [dataset.get_data_info(i) for i in range(len(dataset))]


def expected_marks(source_classes, known, sets):
    """(label, unknown_set) per source sample, computed from the class lists alone."""
    marks = []
    for c in source_classes:
        if c in known:
            marks.append((known.index(c), ''))
        else:
            names = [name for name, members in sets.items() if c in members]
            if names:
                marks.append((-1, names[0]))
    return marks


@pytest.fixture
def read_wnid_folders(monkeypatch):
    """The wnid folders ImageNet21KFolder lists, recorded."""
    read = []
    real = imagenet21k_module.image_files

    def recording(folder):
        read.append(osp.basename(folder))
        return real(folder)

    monkeypatch.setattr(imagenet21k_module, 'image_files', recording)
    return read


# --- Semantic Shift Benchmark test and train sets ---


def test_cub_test_set_marks_known_easy_and_hard(ssb_root):
    root, written = ssb_root
    dataset = OpenSetDataset(source=cub(root), benchmark='ssb_cub', unknown_sets=('easy', 'hard'), pipeline=PIPELINE,
                             test_mode=True)
    known, _ = get_open_set_split('ssb_cub', 0)
    sets = get_unknown_sets('ssb_cub')
    found = [(info['gt_label'], info['unknown_set']) for info in infos(dataset)]
    assert found == expected_marks(written['cub']['test_labels'], known, sets)
    # Spot checks against the published file: class 150 is the first known, 20 the first Easy, 152 the first Medium
    # (merged into hard) and 29 the first Hard class.
    mark_of = dict(zip(written['cub']['test_labels'], found))
    assert mark_of[150] == (0, '') and mark_of[20] == (-1, 'easy')
    assert mark_of[152] == (-1, 'hard') and mark_of[29] == (-1, 'hard')
    assert [mark for _, mark in found].count('easy') == 32 and [mark for _, mark in found].count('hard') == 68
    meta = dataset.metainfo
    assert meta['known_classes'] == tuple(known) and meta['benchmark'] == 'ssb_cub' and meta['osr_split'] == 0
    assert meta['unknown_sets'] == ('easy', 'hard')
    assert meta['classes'][:2] == (cub_folder(150).split('.', 1)[1], cub_folder(70).split('.', 1)[1])


def test_cub_train_set_has_the_known_classes_only(ssb_root):
    root, written = ssb_root
    dataset = OpenSetDataset(source=cub(root, 'train'), benchmark='ssb_cub')
    known, _ = get_open_set_split('ssb_cub', 0)
    labels = [info['gt_label'] for info in infos(dataset)]
    assert labels == [known.index(c) for c in written['cub']['train_labels'] if c in known]
    assert len(labels) == 100 and 'unknown_set' not in infos(dataset)[0]
    assert dataset.metainfo['unknown_sets'] == ()
    test_set = OpenSetDataset(source=cub(root), benchmark='ssb_cub', unknown_sets=('easy', ))
    assert known_classes_mismatch(dataset.metainfo, test_set.metainfo, 'train', 'test') is None


def scars_table():
    """The published SSB Stanford Cars file, read here without splits.py: class ids = 0-based lines of names.csv."""
    with open(osp.join(osp.dirname(openmixosr.datasets.__file__), 'ssb_splits', 'scars_ssb_splits.json')) as f:
        table = json.load(f)
    unknown = table['unknown_classes']
    return table['known_classes'], dict(easy=unknown['Easy'], hard=unknown['Medium'] + unknown['Hard'])


def test_stanford_cars_test_set_follows_names_csv_order(ssb_root):
    root, written = ssb_root
    source = dict(type='StanfordCarsFolder', data_root=osp.join(root, 'stanford_cars'), split='test')
    dataset = OpenSetDataset(source=source, benchmark='ssb_scars', unknown_sets=('easy', 'hard'), pipeline=PIPELINE,
                             test_mode=True)
    known, sets = scars_table()
    # The fake writer's truth: each image's class is the line of its class in names.csv.
    expected = {}
    for path, c in written['scars']['test_samples']:
        easy_or_hard = [name for name, members in sets.items() if c in members]
        expected[path] = (known.index(c), '') if c in known else (-1, easy_or_hard[0])
    found = {info['img_path']: (info['gt_label'], info['unknown_set']) for info in infos(dataset)}
    assert found == expected
    marks = [mark for _, mark in found.values()]
    assert len(found) == 196 and marks.count('') == 98 and marks.count('easy') == 76 and marks.count('hard') == 22
    # Hand-written facts (the file's first entries; the first names of cars_meta.mat): class 1, 'Acura RL Sedan 2012',
    # is the first known class; 3 'Acura TL Type-S 2008' the first Medium (merged into hard); 4 'Acura TSX Sedan 2012'
    # and 5 'Acura Integra Type R 2001' are Easy. With sorted folders these folders would be other classes.
    mark_of_folder = {path.split(osp.sep)[-2]: mark for path, mark in found.items()}
    assert mark_of_folder['Acura RL Sedan 2012'] == (0, '')
    assert mark_of_folder['Acura TL Type-S 2008'] == (-1, 'hard')
    assert mark_of_folder['Acura TSX Sedan 2012'] == (-1, 'easy')
    assert mark_of_folder['Acura Integra Type R 2001'] == (-1, 'easy')
    assert dataset.metainfo['classes'][0] == 'Acura RL Sedan 2012'
    assert dataset.metainfo['classes'] == tuple(written['scars']['classes'][c] for c in known)


def test_stanford_cars_hard_set_only(ssb_root):
    root, written = ssb_root
    source = dict(type='StanfordCarsFolder', data_root=osp.join(root, 'stanford_cars'), split='test')
    dataset = OpenSetDataset(source=source, benchmark='ssb_scars', unknown_sets=('hard', ))
    known, sets = scars_table()
    paths, source_classes = zip(*written['scars']['test_samples'])
    found = {info['img_path']: (info['gt_label'], info['unknown_set']) for info in infos(dataset)}
    kept = [path for path, c in zip(paths, source_classes) if c not in sets['easy']]  # the Easy classes are left out
    assert found == dict(zip(kept, expected_marks(source_classes, known, {'hard': sets['hard']})))
    assert len(found) == 98 + 15 + 7


def test_fgvc_aircraft_test_set(ssb_root):
    root, written = ssb_root
    source = dict(type='FGVCAircraft', data_root=osp.join(root, 'fgvc-aircraft-2013b'), split='test')
    dataset = OpenSetDataset(source=source, benchmark='ssb_aircraft', unknown_sets=('easy', 'hard'))
    variants = sorted(written['aircraft']['variants'])
    source_classes = [variants.index(v) for v in written['aircraft']['test_variants']]
    found = [(info['gt_label'], info['unknown_set']) for info in infos(dataset)]
    assert found == expected_marks(source_classes, get_open_set_split('ssb_aircraft', 0)[0],
                                   get_unknown_sets('ssb_aircraft'))
    assert dataset.metainfo['classes'][:3] == tuple(variants[c] for c in (0, 1, 2))  # known list starts 0, 1, 2
    train = OpenSetDataset(source=dict(source, split='trainval'), benchmark='ssb_aircraft')
    assert len(train) == 50


def test_explicit_sets_by_index_and_by_name(ssb_root):
    root, written = ssb_root
    # CUB class 1 is Laysan_Albatross: the same set given by index and by name.
    dataset = OpenSetDataset(source=cub(root), known_classes=[0, 2],
                             unknown_sets={'albatross': ['Laysan_Albatross', 3], 'other': [4]})
    found = [(info['gt_label'], info['unknown_set']) for info in infos(dataset)]
    assert found == expected_marks(written['cub']['test_labels'], [0, 2], {'albatross': [1, 3], 'other': [4]})
    assert sorted(found) == [(-1, 'albatross'), (-1, 'albatross'), (-1, 'other'), (0, ''), (1, '')]
    assert dataset.metainfo['benchmark'] is None and dataset.metainfo['known_classes'] == (0, 2)


# --- the large-scale benchmark: Tiny-ImageNet known, ImageNet-21K unknown ---


def test_tiny_imagenet_vs_imagenet21k(fake_root, ssb_root, read_wnid_folders):
    tiny_root, tiny_written = fake_root
    root, written = ssb_root
    dataset = OpenSetDataset(source=tiny(tiny_root), benchmark='in21k_ssb', unknown_source=in21k(root),
                             unknown_sets=('easy', 'hard'))
    sets = get_unknown_sets('in21k_ssb')
    # Known: the 200 Tiny-ImageNet classes, not the SSB's ImageNet-1K list.
    assert dataset.metainfo['classes'] == tuple(tiny_written['tiny']['wnids'])
    assert dataset.metainfo['known_classes'] == tuple(range(200))
    found = infos(dataset)
    num_known = tiny_written['tiny']['val_count']
    assert all(info['unknown_set'] == '' and info['gt_label'] >= 0 for info in found[:num_known])
    # Each unknown sample's folder (its wnid) is in the set it is marked with; one image per wnid was written.
    unknown = found[num_known:]
    assert all(info['gt_label'] == -1 for info in unknown)
    marks = {osp.basename(osp.dirname(info['img_path'])): info['unknown_set'] for info in unknown}
    assert len(unknown) == len(marks) == 1980
    assert marks == {**dict.fromkeys(sets['easy'], 'easy'), **dict.fromkeys(sets['hard'], 'hard')}
    # Only the wnids of the sets were listed (their sorted union): not the folder 'n99999999' of neither set.
    assert read_wnid_folders == sorted(sets['easy'] + sets['hard'])


def test_wnids_given_in_the_config_are_kept(fake_root, tmp_path, read_wnid_folders):
    tiny_root, _ = fake_root
    write_imagenet21k(str(tmp_path), ['n10000001', 'n10000002', 'n10000003'])
    unknown_source = dict(type='ImageNet21KFolder', data_root=str(tmp_path))
    dataset = OpenSetDataset(source=tiny(tiny_root), unknown_source=dict(unknown_source, wnids=['n10000001',
                                                                                                 'n10000003']),
                             unknown_sets={'a': ['n10000003']})
    assert read_wnid_folders == ['n10000001', 'n10000003']
    assert [info['unknown_set'] for info in infos(dataset) if info['gt_label'] == -1] == ['a']
    # Sets by index count the source's own classes: every folder is read.
    read_wnid_folders.clear()
    dataset = OpenSetDataset(source=tiny(tiny_root), unknown_source=unknown_source, unknown_sets={'a': [1]})
    assert read_wnid_folders == ['n10000001', 'n10000002', 'n10000003']
    assert [osp.basename(info['img_path']) for info in infos(dataset) if info['gt_label'] == -1] == [
        'n10000002_0.JPEG'
    ]


# --- packing: the field reaches the data samples ---


def test_unknown_set_survives_pack_inputs_and_collate(ssb_root):
    root, written = ssb_root
    dataset = OpenSetDataset(source=cub(root), benchmark='ssb_cub', unknown_sets=('easy', 'hard'), pipeline=PIPELINE,
                             test_mode=True)
    labels = written['cub']['test_labels']
    picks = [labels.index(150), labels.index(20), labels.index(29)]  # known, easy, hard
    batch = pseudo_collate([dataset[i] for i in picks])
    samples = batch['data_samples']
    assert [s.unknown_set for s in samples] == ['', 'easy', 'hard']
    assert [s.gt_label.tolist() for s in samples] == [[0], [-1], [-1]]
    assert [s.to_dict()['unknown_set'] for s in samples] == ['', 'easy', 'hard']  # what the evaluator receives
    # The red channel holds the CUB class (LoadImageFromFile gives BGR: red is the last channel).
    assert [round(x[2].float().mean().item()) for x in batch['inputs']] == [150, 20, 29]


def test_pipeline_must_pack_the_field(ssb_root):
    root, _ = ssb_root
    kwargs = dict(source=cub(root), benchmark='ssb_cub', unknown_sets=('easy', 'hard'))
    with pytest.raises(ValueError, match=r"drops their field 'unknown_set'.*Write dict\(type='PackInputs', "
                       r"algorithm_keys=\('unknown_set',\)\)"):
        OpenSetDataset(pipeline=[dict(type='StrictLoadImageFromFile'), dict(type='PackInputs')], **kwargs)
    with pytest.raises(ValueError, match='a string, not a tuple'):
        OpenSetDataset(pipeline=[dict(type='PackInputs', algorithm_keys='unknown_set')], **kwargs)
    # Without PackInputs the data info keeps the field; a list works as well as a tuple.
    assert OpenSetDataset(pipeline=[dict(type='StrictLoadImageFromFile')], **kwargs)[0]['unknown_set'] in ('', 'easy',
                                                                                                      'hard')
    OpenSetDataset(pipeline=[dict(type='PackInputs', algorithm_keys=['gt_score', 'unknown_set'])], **kwargs)
    # Datasets without named sets do not care.
    OpenSetDataset(source=cub(root), benchmark='ssb_cub', with_unknown=True, pipeline=[dict(type='PackInputs')])


def test_through_the_registry(ssb_root):
    root, _ = ssb_root
    dataset = DATASETS.build(dict(type='OpenSetDataset', source=cub(root), benchmark='ssb_cub',
                                  unknown_sets=['easy', 'hard'], pipeline=PIPELINE, test_mode=True))
    assert len(dataset) == 200


# --- errors ---


def test_argument_errors(ssb_root, fake_root):
    root, _ = ssb_root
    source = cub(root)
    with pytest.raises(ValueError, match='leave `with_unknown` False'):
        OpenSetDataset(source=source, benchmark='ssb_cub', unknown_sets=('easy', ), with_unknown=True)
    with pytest.raises(ValueError, match='`unknown_classes` None'):
        OpenSetDataset(source=source, unknown_source=source, unknown_sets={'a': [1]}, unknown_classes=[1])
    with pytest.raises(ValueError, match=r"\['medium'\] are not unknown sets of benchmark 'ssb_cub'; its sets are "
                       r"\['easy', 'hard'\]"):
        OpenSetDataset(source=source, benchmark='ssb_cub', unknown_sets=('easy', 'medium'))
    with pytest.raises(ValueError, match='no `benchmark` is given'):
        OpenSetDataset(source=source, unknown_sets=('easy', ))
    with pytest.raises(ValueError, match="'tiny_imagenet' has no named unknown sets"):
        OpenSetDataset(source=source, benchmark='tiny_imagenet', unknown_sets=('easy', ))
    with pytest.raises(ValueError, match='got the string'):
        OpenSetDataset(source=source, benchmark='ssb_cub', unknown_sets='easy')
    with pytest.raises(ValueError, match='names a set twice'):
        OpenSetDataset(source=source, benchmark='ssb_cub', unknown_sets=('easy', 'easy'))
    with pytest.raises(ValueError, match='is empty'):
        OpenSetDataset(source=source, known_classes=[0], unknown_sets={})
    with pytest.raises(ValueError, match='non-empty list'):
        OpenSetDataset(source=source, known_classes=[0], unknown_sets={'a': []})
    with pytest.raises(ValueError, match='non-empty strings'):
        OpenSetDataset(source=source, known_classes=[0], unknown_sets={'': [1]})
    with pytest.raises(ValueError, match='indices .int. or class names'):
        OpenSetDataset(source=source, known_classes=[0], unknown_sets={'a': [1.0]})
    with pytest.raises(ValueError, match='one published split'):
        OpenSetDataset(source=source, benchmark='ssb_cub', osr_split=1, unknown_sets=('easy', ))
    cifar10 = dict(type='OfflineCIFAR10', data_root=osp.join(fake_root[0], 'cifar10'), split='test')
    with pytest.raises(ValueError, match='fixes the unknown classes'):
        OpenSetDataset(source=cifar10, benchmark='cifar+10', unknown_sets={'a': [1]})


def test_class_errors(ssb_root):
    root, _ = ssb_root
    source = cub(root)
    with pytest.raises(ValueError, match=r"Class 1 \(Laysan_Albatross\) is in unknown set 'a' and in 'b'"):
        OpenSetDataset(source=source, known_classes=[0], unknown_sets={'a': [1, 2], 'b': ['Laysan_Albatross']})
    with pytest.raises(ValueError, match=r"Class 2 \(Sooty_Albatross\) is in unknown set 'a' and in 'a'"):
        OpenSetDataset(source=source, known_classes=[0], unknown_sets={'a': [2, 2]})
    with pytest.raises(ValueError, match=r"are not class names of the source CUB.*\['No_such_bird'\]"):
        OpenSetDataset(source=source, known_classes=[0], unknown_sets={'a': ['No_such_bird', 1]})
    with pytest.raises(ValueError, match=r"unknown set 'a': class indices \[200\] out of range for the source CUB"):
        OpenSetDataset(source=source, known_classes=[0], unknown_sets={'a': [200]})
    with pytest.raises(ValueError, match=r"Classes \[150\] are known and in unknown set 'a'"):
        OpenSetDataset(source=source, benchmark='ssb_cub', unknown_sets={'a': [20, 150]})


def test_ssb_refuses_a_source_with_another_class_count(fake_root):
    root, _ = fake_root
    cifar10 = dict(type='OfflineCIFAR10', data_root=osp.join(root, 'cifar10'), split='test')
    with pytest.raises(ValueError, match=r"'ssb_cub' indexes the 200 classes of CUB-200-2011.*has 10 classes"):
        OpenSetDataset(source=cifar10, benchmark='ssb_cub')
    with pytest.raises(ValueError, match=r"'ssb_scars' indexes the 196 classes of Stanford Cars"):
        OpenSetDataset(source=cifar10, benchmark='ssb_scars')


def test_empty_set_and_wnid_errors(fake_root, tmp_path):
    tiny_root, written = fake_root
    write_imagenet21k(str(tmp_path), ['n10000001'])
    (tmp_path / 'n10000002').mkdir()  # a folder without images
    unknown_source = dict(type='ImageNet21KFolder', data_root=str(tmp_path))
    with pytest.raises(ValueError, match=r"Unknown sets \['b'\] have no sample in the unknown_source "
                       'ImageNet21KFolder'):
        OpenSetDataset(source=tiny(tiny_root), unknown_source=unknown_source,
                       unknown_sets={'a': ['n10000001'], 'b': ['n10000002']})
    with pytest.raises(FileNotFoundError, match=r"1 of the 2 requested wnid folders are missing, e.g. \['n10000009'\]"):
        OpenSetDataset(source=tiny(tiny_root), unknown_source=unknown_source,
                       unknown_sets={'a': ['n10000001', 'n10000009']})
    with pytest.raises(ValueError, match=r"Classes \['n00000007'\] of unknown set 'a' are known classes too"):
        OpenSetDataset(source=tiny(tiny_root), unknown_source=unknown_source,
                       unknown_sets={'a': ['n10000001', written['tiny']['wnids'][7]]})
    with pytest.raises(ValueError, match=r"not class names of the source TinyImageNet.*ImageNet21KFolder"):
        OpenSetDataset(source=tiny(tiny_root), benchmark='in21k_ssb', unknown_sets=('easy', ))
