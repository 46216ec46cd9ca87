"""Image files that a dataset lists are checked when it is built (missing or empty: refused, named), and the loading
transform of the configs names the file it cannot decode.

Before: a 0-byte image built fine and crashed mid-epoch (or at the first validation) with
``cv2.error ... !buf.empty()`` and no path; a missing image other than the first or the last one of its source built
fine too, and a closed-set Tiny-ImageNet (not wrapped in an OpenSetDataset) was not checked at all.
"""
import glob
import os
import os.path as osp
import re

import pytest
from fake_data import (write_cub, write_fgvc_aircraft, write_imagenet21k, write_stanford_cars,
                       write_tiny_imagenet)
from mmcv.transforms import LoadImageFromFile
from mmengine.config import Config

from openmixosr.datasets import (EmptyImageFileError, MissingDataError, OpenSetDataset, StanfordCarsFolder,
                                 StrictLoadImageFromFile, TinyImageNet, UnreadableImageError, build_source,
                                 check_image_files)
from openmixosr.registry import DATASETS

CONFIG_ROOT = osp.join(osp.dirname(__file__), '..', '..', 'configs')


def _tiny(root):
    write_tiny_imagenet(root, num_classes=3, train_per_class=3, size=8)
    return dict(type='TinyImageNet', data_root=root, split='train')


def _cars(root):
    write_stanford_cars(root, names=['Car A 2001', 'Car B 2002', 'Car C 2003'], train_per_class=2)
    return dict(type='StanfordCarsFolder', data_root=root, split='train')


def _cub(root):
    write_cub(root, num_classes=4)
    return dict(type='CUB', data_root=root, split='train')


def _aircraft(root):
    write_fgvc_aircraft(root)
    return dict(type='FGVCAircraft', data_root=root, split='test')


def _in21k(root):
    write_imagenet21k(root, ['n00000001', 'n00000002'], per_class=3)
    return dict(type='ImageNet21KFolder', data_root=root)


#: The file-based sources: ours (TinyImageNet, StanfordCarsFolder, ImageNet21KFolder) and mmpretrain's (CUB,
#: FGVCAircraft), each with a writer of a small fake copy that returns the source's config.
FILE_SOURCES = dict(TinyImageNet=_tiny, StanfordCarsFolder=_cars, CUB=_cub, FGVCAircraft=_aircraft,
                    ImageNet21KFolder=_in21k)


def _middle_image(source_cfg):
    """A listed image file that is neither the first nor the last one of the source."""
    source = build_source(source_cfg)
    return source.get_data_info(len(source) // 2)['img_path']


@pytest.mark.parametrize('name', sorted(FILE_SOURCES))
def test_an_empty_image_file_is_refused_when_the_source_is_built(name, tmp_path):
    source_cfg = FILE_SOURCES[name](str(tmp_path / name))
    path = _middle_image(source_cfg)
    open(path, 'wb').close()  # what an interrupted copy leaves
    with pytest.raises(EmptyImageFileError, match=rf'{name}: 1 of the \d+ image files .* empty \(0 bytes\): '
                                                  rf'{re.escape(repr(path))}\. An interrupted copy'):
        build_source(source_cfg)


@pytest.mark.parametrize('name', ['CUB', 'FGVCAircraft', 'TinyImageNet'])
def test_a_missing_image_file_listed_by_the_annotations_is_refused(name, tmp_path):
    # Only the first and the last listed files were looked for: one in the middle failed at its first batch.
    source_cfg = dict(FILE_SOURCES[name](str(tmp_path / name)), **({'split': 'val'} if name == 'TinyImageNet' else {}))
    path = _middle_image(source_cfg)
    os.remove(path)
    with pytest.raises(MissingDataError, match=rf'(?s){name} data not found: tried {re.escape(repr(path))}.*'
                                               r'1 of the \d+ image files its samples list are not there'):
        build_source(source_cfg)


@pytest.mark.parametrize('dataset', [TinyImageNet, StanfordCarsFolder])
def test_a_source_used_alone_checks_its_files_too(dataset, tmp_path):
    # The closed-set configs (Tiny-ImageNet classification and pre-training) build TinyImageNet itself, without
    # OpenSetDataset: it was not checked at all.
    source_cfg = FILE_SOURCES[dataset.__name__](str(tmp_path))
    source_cfg.pop('type')
    dataset(**source_cfg)
    paths = [dataset(**source_cfg).get_data_info(i)['img_path'] for i in (1, 2)]
    for path in paths:
        open(path, 'wb').close()
    shown = ', '.join(re.escape(repr(path)) for path in paths)
    with pytest.raises(EmptyImageFileError, match=rf'2 of the \d+ image files .*: {shown}\.'):
        dataset(**source_cfg)


def test_an_open_set_dataset_refuses_an_empty_image_of_its_unknown_source(tmp_path):
    known = _tiny(str(tmp_path / 'tiny'))
    unknown = _in21k(str(tmp_path / 'in21k'))
    OpenSetDataset(source=known, unknown_source=unknown)
    path = _middle_image(unknown)
    open(path, 'wb').close()
    with pytest.raises(EmptyImageFileError, match=rf'ImageNet21KFolder: 1 of the 6 image files .*{re.escape(path)}'):
        OpenSetDataset(source=known, unknown_source=unknown)


def test_the_check_names_a_few_files_and_skips_arrays_and_urls(tmp_path):
    paths = [str(tmp_path / f'{i}.jpg') for i in range(5)]
    for path in paths:
        open(path, 'wb').close()
    infos = [dict(img_path=path) for path in paths] + [dict(img=None), dict(img_path='s3://bucket/x.jpg')]
    shown = ', '.join(re.escape(repr(path)) for path in paths[:3])
    with pytest.raises(EmptyImageFileError, match=rf'Dataset: 5 of the 5 image files .*: {shown}, \.\.\.\. An'):
        check_image_files(infos, 'Dataset')
    check_image_files([dict(img=None), dict(img_path='s3://bucket/x.jpg')], 'Dataset')


# ---------------------------------------------------------------------------------------------------- decoding
@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
@pytest.mark.parametrize('content', [b'', b'not an image at all'])
def test_a_file_that_cannot_be_decoded_is_named(backend, content, tmp_path):
    path = tmp_path / 'broken.jpg'
    path.write_bytes(content)
    with pytest.raises(Exception) as upstream:  # mmcv: cv2.error '!buf.empty()' or PIL's 'BytesIO object'
        LoadImageFromFile(imdecode_backend=backend)(dict(img_path=str(path)))
    if backend == 'pillow' or not content:
        assert str(path) not in str(upstream.value)
    named = rf'Cannot read the image file {re.escape(repr(str(path)))} \('
    with pytest.raises(UnreadableImageError, match=named) as error:
        StrictLoadImageFromFile(imdecode_backend=backend)(dict(img_path=str(path)))
    assert error.value.__cause__ is not None  # the decoder's own error, chained


def test_an_image_broken_after_the_build_is_named_when_the_sample_is_drawn(tmp_path):
    # The Tiny-ImageNet configs' training pipeline, on a dataset whose file is truncated after it was built (in the
    # middle of an epoch): the error names the file.
    cfg = Config.fromfile(osp.join(CONFIG_ROOT, '_base_', 'datasets', 'tiny_imagenet.py'))
    dataset = DATASETS.build(dict(_tiny(str(tmp_path)), pipeline=cfg.train_pipeline))
    assert dataset[4]['inputs'].shape == (3, 64, 64)
    path = dataset.get_data_info(4)['img_path']
    open(path, 'wb').close()
    named = rf'Cannot read the image file {re.escape(repr(path))} \(error: .*buf.empty'
    with pytest.raises(UnreadableImageError, match=named):
        dataset[4]


def _load_transforms(node):
    """The ``type`` of every transform config inside ``node`` whose type names a loading transform."""
    if isinstance(node, dict):
        found = [node['type']] if isinstance(node.get('type'), str) and 'Load' in node['type'] else []
        return found + [name for value in node.values() for name in _load_transforms(value)]
    if isinstance(node, (list, tuple)):
        return [name for value in node for name in _load_transforms(value)]
    return []


def test_every_config_loads_images_with_the_strict_transform():
    # One loading transform: mmcv's LoadImageFromFile (or its ignore_empty=True, which skips a broken sample in
    # training without a word) in a config would bring back the unnamed decode errors.
    found = {}
    for path in sorted(glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True)):
        for name in _load_transforms(Config.fromfile(path).to_dict()):
            found.setdefault(name, []).append(osp.relpath(path, CONFIG_ROOT))
    assert set(found) == {'StrictLoadImageFromFile'}, found
