"""Writers of tiny fake datasets in the official on-disk formats, for tests that must not read real data.

Each writer puts files under ``root`` exactly where the loaders (and users) expect them and returns the arrays it
wrote, so that tests compare loaded values with written ones. Pixel values are random but seeded. Other test folders
can reuse these writers (``from fake_data import write_cifar10`` from this folder, or import this module by path).
"""
import gzip
import os
import os.path as osp
import pickle
import struct

import numpy as np

CIFAR10_CLASSES = ('airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')


def _images(rng, num, height, width, channels=3):
    shape = (num, height, width) if channels is None else (num, height, width, channels)
    return rng.integers(0, 256, size=shape, dtype=np.uint8)


def _balanced_labels(num_classes, per_class, rng):
    labels = np.repeat(np.arange(num_classes), per_class)
    return rng.permutation(labels)


def _dump_pickle(path, obj):
    with open(path, 'wb') as f:
        pickle.dump(obj, f, protocol=2)


def _cifar_entry(images, labels, label_key):
    """CIFAR pickle content: rows of 3072 bytes, the R, G, B planes of a 32x32 image one after another."""
    data = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
    return {'data': data, label_key: [int(x) for x in labels], 'batch_label': 'fake batch'}


def write_cifar10(root, train_per_class=5, test_per_class=3, seed=0):
    """Write ``root/cifar-10-batches-py`` (5 data batches, test batch, batches.meta) with 10 balanced classes.

    Returns:
        dict: ``train_images`` / ``test_images`` (N x 32 x 32 x 3 uint8, in file order) and ``train_labels`` /
        ``test_labels`` (int arrays).
    """
    rng = np.random.default_rng(seed)
    folder = osp.join(root, 'cifar-10-batches-py')
    os.makedirs(folder, exist_ok=True)
    train_labels = _balanced_labels(10, train_per_class, rng)
    train_images = _images(rng, len(train_labels), 32, 32)
    test_labels = _balanced_labels(10, test_per_class, rng)
    test_images = _images(rng, len(test_labels), 32, 32)
    for batch, rows in enumerate(np.array_split(np.arange(len(train_labels)), 5), 1):
        _dump_pickle(osp.join(folder, f'data_batch_{batch}'),
                     _cifar_entry(train_images[rows], train_labels[rows], 'labels'))
    _dump_pickle(osp.join(folder, 'test_batch'), _cifar_entry(test_images, test_labels, 'labels'))
    _dump_pickle(osp.join(folder, 'batches.meta'),
                 {'label_names': list(CIFAR10_CLASSES), 'num_cases_per_batch': len(train_labels) // 5,
                  'num_vis': 3072})
    return dict(train_images=train_images, train_labels=train_labels, test_images=test_images,
                test_labels=test_labels)


def write_cifar100(root, train_per_class=1, test_per_class=2, seed=1):
    """Write ``root/cifar-100-python`` (train, test, meta) with 100 balanced fine classes.

    Returns:
        dict: ``train_images`` / ``test_images`` and ``train_labels`` / ``test_labels`` (fine labels).
    """
    rng = np.random.default_rng(seed)
    folder = osp.join(root, 'cifar-100-python')
    os.makedirs(folder, exist_ok=True)
    written = {}
    for split, per_class in (('train', train_per_class), ('test', test_per_class)):
        labels = _balanced_labels(100, per_class, rng)
        images = _images(rng, len(labels), 32, 32)
        entry = _cifar_entry(images, labels, 'fine_labels')
        entry['coarse_labels'] = [int(x) // 5 for x in labels]
        _dump_pickle(osp.join(folder, split), entry)
        written[f'{split}_images'], written[f'{split}_labels'] = images, labels
    _dump_pickle(osp.join(folder, 'meta'), {'fine_label_names': [f'fine_{i}' for i in range(100)],
                                            'coarse_label_names': [f'coarse_{i}' for i in range(20)]})
    return written


def write_svhn(root, per_class=3, seed=2):
    """Write ``root/train_32x32.mat`` and ``root/test_32x32.mat``: X is 32x32x3xN, y (N x 1) in 1..10, 10 = digit 0.

    Returns:
        dict: ``{split}_images`` (N x 32 x 32 x 3) and ``{split}_digits`` (the digit, 0..9) for both splits.
    """
    from scipy.io import savemat

    rng = np.random.default_rng(seed)
    os.makedirs(root, exist_ok=True)
    written = {}
    for split in ('train', 'test'):
        digits = _balanced_labels(10, per_class, rng)
        images = _images(rng, len(digits), 32, 32)
        mat_labels = np.where(digits == 0, 10, digits).astype(np.uint8).reshape(-1, 1)
        savemat(osp.join(root, f'{split}_32x32.mat'), {'X': images.transpose(1, 2, 3, 0), 'y': mat_labels})
        written[f'{split}_images'], written[f'{split}_digits'] = images, digits
    return written


def _idx_bytes(array):
    header = struct.pack('>BBBB', 0, 0, 0x08, array.ndim) + struct.pack(f'>{array.ndim}I', *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_mnist(root, per_class=10, prefixes=('train', 't10k'), gz=True, seed=3):
    """Write MNIST idx files ``{prefix}-images-idx3-ubyte`` / ``{prefix}-labels-idx1-ubyte`` (``.gz`` if ``gz``).

    Returns:
        dict: ``{prefix}_images`` (N x 28 x 28 uint8) and ``{prefix}_labels`` for each prefix.
    """
    rng = np.random.default_rng(seed)
    os.makedirs(root, exist_ok=True)
    written = {}
    for prefix in prefixes:
        labels = _balanced_labels(10, per_class, rng).astype(np.uint8)
        images = _images(rng, len(labels), 28, 28, channels=None)
        for kind, array in (('images-idx3', images), ('labels-idx1', labels)):
            path = osp.join(root, f'{prefix}-{kind}-ubyte')
            if gz:
                with gzip.open(path + '.gz', 'wb') as f:
                    f.write(_idx_bytes(array))
            else:
                with open(path, 'wb') as f:
                    f.write(_idx_bytes(array))
        written[f'{prefix}_images'], written[f'{prefix}_labels'] = images, labels
    return written


def tiny_wnid(index):
    """A fake wnid; zero padded so that sorting the names sorts the indices."""
    return f'n{index:08d}'


def write_tiny_imagenet(root, num_classes=200, train_per_class=1, val_per_class=1, size=64, wnids_file=True, seed=4):
    """Write the official Tiny-ImageNet tree: wnids.txt (shuffled), train/{wnid}/images, flat val/ + annotations.

    The ``val`` images are named ``val_{k}.JPEG`` in shuffled class order, and every image is a flat colour that
    encodes its class in the red channel, so tests can check labels against pixels too.

    Returns:
        dict: ``wnids`` (sorted), ``val_files`` (file name -> wnid) and ``train_count`` / ``val_count``.
    """
    from PIL import Image

    rng = np.random.default_rng(seed)
    wnids = [tiny_wnid(i) for i in range(num_classes)]
    os.makedirs(osp.join(root, 'val', 'images'), exist_ok=True)
    if wnids_file:
        with open(osp.join(root, 'wnids.txt'), 'w') as f:
            f.write('\n'.join(rng.permutation(wnids)) + '\n')

    def save(path, label):
        pixels = np.zeros((size, size, 3), dtype=np.uint8)
        pixels[..., 0] = label % 256
        Image.fromarray(pixels).save(path, format='JPEG', quality=95)

    for label, wnid in enumerate(wnids):
        image_dir = osp.join(root, 'train', wnid, 'images')
        os.makedirs(image_dir, exist_ok=True)
        with open(osp.join(root, 'train', wnid, f'{wnid}_boxes.txt'), 'w') as f:
            for k in range(train_per_class):
                save(osp.join(image_dir, f'{wnid}_{k}.JPEG'), label)
                f.write(f'{wnid}_{k}.JPEG\t0\t0\t{size - 1}\t{size - 1}\n')

    val_labels = rng.permutation(np.repeat(np.arange(num_classes), val_per_class))
    val_files = {}
    with open(osp.join(root, 'val', 'val_annotations.txt'), 'w') as f:
        for k, label in enumerate(val_labels):
            name = f'val_{k}.JPEG'
            save(osp.join(root, 'val', 'images', name), int(label))
            val_files[name] = wnids[label]
            f.write(f'{name}\t{wnids[label]}\t0\t0\t{size - 1}\t{size - 1}\n')
    return dict(wnids=wnids, val_files=val_files, train_count=num_classes * train_per_class,
                val_count=len(val_labels))


def stl10_image_bytes(image):
    """One H x W x 3 image in the STL-10 X-file layout: the R, G, B planes one after another, each column-major."""
    return b''.join(np.asarray(image[:, :, c], dtype=np.uint8).tobytes(order='F') for c in range(3))


def write_stl10_images(path, images):
    """Write N x 96 x 96 x 3 uint8 images to an STL-10 X file."""
    with open(path, 'wb') as f:
        for image in images:
            f.write(stl10_image_bytes(image))


def write_stl10(root, train_per_class=1, test_per_class=1, num_unlabeled=3, seed=5):
    """Write the official ``stl10_binary`` files into ``root``: ``{train,test}_{X,y}.bin``, ``unlabeled_X.bin``.

    Labels in the y files are 1..10 (one byte per image); ``class_names.txt`` is written too (the loader ignores it).

    Returns:
        dict: ``{split}_images`` (N x 96 x 96 x 3 uint8, upright) for train, test and unlabeled, and ``{split}_labels``
        (0..9, as the loader should give them) for train and test.
    """
    rng = np.random.default_rng(seed)
    os.makedirs(root, exist_ok=True)
    written = {}
    for split, per_class in (('train', train_per_class), ('test', test_per_class)):
        labels = _balanced_labels(10, per_class, rng)
        images = _images(rng, len(labels), 96, 96)
        write_stl10_images(osp.join(root, f'{split}_X.bin'), images)
        (labels + 1).astype(np.uint8).tofile(osp.join(root, f'{split}_y.bin'))
        written[f'{split}_images'], written[f'{split}_labels'] = images, labels
    written['unlabeled_images'] = _images(rng, num_unlabeled, 96, 96)
    write_stl10_images(osp.join(root, 'unlabeled_X.bin'), written['unlabeled_images'])
    with open(osp.join(root, 'class_names.txt'), 'w') as f:
        f.write('\n'.join(('airplane', 'bird', 'car', 'cat', 'deer', 'dog', 'horse', 'monkey', 'ship', 'truck')) + '\n')
    return written


def save_flat_image(path, value, size=8):
    """Write a ``size`` x ``size`` JPEG whose red channel is ``value % 256`` (the class, for checks after decoding)."""
    from PIL import Image

    pixels = np.zeros((size, size, 3), dtype=np.uint8)
    pixels[..., 0] = value % 256
    Image.fromarray(pixels).save(path, format='JPEG', quality=95)


def cub_folder(class_index):
    """The image folder of CUB class ``class_index`` (0-based), e.g. ``001.Black_footed_Albatross`` for 0."""
    from mmpretrain.datasets.categories import CUB_CATEGORIES

    return f'{class_index + 1:03d}.{CUB_CATEGORIES[class_index]}'


def write_cub(root, train_per_class=1, test_per_class=1, num_classes=200, seed=6):
    """Write the CUB-200-2011 tree into ``root``: images.txt, image_class_labels.txt, train_test_split.txt,
    classes.txt and ``images/{class folder}/*.jpg``, with the images of all classes and both splits shuffled.

    Returns:
        dict: ``{split}_labels`` (class id - 1, in image id order) and ``{split}_paths`` (paths under ``images/``)
        for ``split`` in train and test.
    """
    rng = np.random.default_rng(seed)
    samples = [(c, 'train') for c in range(num_classes) for _ in range(train_per_class)]
    samples += [(c, 'test') for c in range(num_classes) for _ in range(test_per_class)]
    order = rng.permutation(len(samples))
    written = dict(train_labels=[], train_paths=[], test_labels=[], test_paths=[])
    lines = dict(images=[], labels=[], split=[])
    for image_id, position in enumerate(order, 1):
        class_index, split = samples[position]
        folder = cub_folder(class_index)
        os.makedirs(osp.join(root, 'images', folder), exist_ok=True)
        relative = f'{folder}/{folder.split(".", 1)[1]}_{image_id:04d}.jpg'
        save_flat_image(osp.join(root, 'images', relative), class_index)
        lines['images'].append(f'{image_id} {relative}')
        lines['labels'].append(f'{image_id} {class_index + 1}')
        lines['split'].append(f'{image_id} {1 if split == "train" else 0}')
        written[f'{split}_labels'].append(class_index)
        written[f'{split}_paths'].append(relative)
    for name, key in (('images.txt', 'images'), ('image_class_labels.txt', 'labels'),
                      ('train_test_split.txt', 'split')):
        with open(osp.join(root, name), 'w') as f:
            f.write('\n'.join(lines[key]) + '\n')
    with open(osp.join(root, 'classes.txt'), 'w') as f:
        f.write(''.join(f'{c + 1} {cub_folder(c)}\n' for c in range(num_classes)))
    return written


#: The first classes of the real cars_meta.mat order (= the Kaggle release's names.csv), for hand-written test facts.
STANFORD_CARS_FIRST_NAMES = ('AM General Hummer SUV 2000', 'Acura RL Sedan 2012', 'Acura TL Sedan 2012',
                             'Acura TL Type-S 2008', 'Acura TSX Sedan 2012', 'Acura Integra Type R 2001',
                             'Acura ZDX Hatchback 2012', 'Aston Martin V8 Vantage Convertible 2012')
#: A real class whose name holds '/'; the Kaggle release writes its folder with '-' (STANFORD_CARS_SLASH_FOLDER).
STANFORD_CARS_SLASH_NAME = 'Ram C/V Cargo Van Minivan 2012'
STANFORD_CARS_SLASH_FOLDER = 'Ram C-V Cargo Van Minivan 2012'
STANFORD_CARS_SLASH_INDEX = 173  # its line (0-based) in the fake names.csv


def stanford_cars_names():
    """The fake names.csv: 196 class names in a cars_meta.mat-like order that differs from the sorted order.

    The real first eight (:data:`STANFORD_CARS_FIRST_NAMES`), :data:`STANFORD_CARS_SLASH_NAME` at
    :data:`STANFORD_CARS_SLASH_INDEX`, and generated names elsewhere: mixed-case makes (code-point order puts
    ``'BMW ...'`` before ``'Bentley ...'``) with scrambled model numbers, so that neither the file order nor a
    case-insensitive sort is the code-point sort of ``ImageFolder``.
    """
    makes = ('Bentley', 'BMW', 'Chevrolet', 'Audi', 'Volvo', 'Dodge', 'AM General', 'Hyundai')
    names = list(STANFORD_CARS_FIRST_NAMES)
    for index in range(len(names), 196):
        generated = f'{makes[index % len(makes)]} Model {(index * 37) % 196:03d} {2007 + index % 6}'
        names.append(STANFORD_CARS_SLASH_NAME if index == STANFORD_CARS_SLASH_INDEX else generated)
    assert len(set(names)) == 196 and names != sorted(names)
    return names


def write_stanford_cars(root, names=None, train_per_class=1, test_per_class=1, test_classes=None):
    """Write ``root/names.csv`` (the class names in order, one per line, no header, a trailing newline) and
    ``root/car_data/car_data/{train,test}/<class folder>/*.jpg``, the Kaggle release's layout: the folder of a class is
    its name with '/' written '-'. Folders are created in reverse names.csv order.

    Args:
        names (list[str], optional): The names.csv lines, in order; :func:`stanford_cars_names` when None.
        test_classes (list[int], optional): Class indices (names.csv lines) that get a test folder; all when None.

    Returns:
        dict: ``classes`` (the names as written in names.csv), ``folders`` (the folder of each class) and
        ``{split}_samples``: (path, class index = 0-based line of names.csv) per image, in the order the loader must
        give them (names.csv order, then sorted file names). The red channel of each image is its class index.
    """
    names = stanford_cars_names() if names is None else list(names)
    folders = [name.replace('/', '-') for name in names]
    os.makedirs(root, exist_ok=True)
    with open(osp.join(root, 'names.csv'), 'w') as f:
        f.write(''.join(f'{name}\n' for name in names))
    written = dict(classes=names, folders=folders)
    for split, per_class in (('train', train_per_class), ('test', test_per_class)):
        indices = range(len(names)) if split == 'train' or test_classes is None else test_classes
        samples = []
        for index in sorted(indices, reverse=True):
            folder = osp.join(root, 'car_data', 'car_data', split, folders[index])
            os.makedirs(folder, exist_ok=True)
            for k in range(per_class):
                path = osp.join(folder, f'{index:05d}_{k}.jpg')
                save_flat_image(path, index)
                samples.append((path, index))
        written[f'{split}_samples'] = sorted(samples, key=lambda item: (item[1], item[0]))
    return written


def write_fgvc_aircraft(root, trainval_per_class=1, test_per_class=1, seed=7):
    """Write ``root/data/``: images_variant_{trainval,test}.txt (shuffled), variants.txt and ``images/*.jpg`` for the
    100 variants (mmpretrain's FGVCAircraft accepts only the real variant names).

    Returns:
        dict: ``variants`` (the names as written in variants.txt) and ``{split}_variants`` (the variant of each line).
    """
    from mmpretrain.datasets.categories import FGVCAIRCRAFT_CATEGORIES

    rng = np.random.default_rng(seed)
    variants = list(FGVCAIRCRAFT_CATEGORIES)
    data = osp.join(root, 'data')
    os.makedirs(osp.join(data, 'images'), exist_ok=True)
    with open(osp.join(data, 'variants.txt'), 'w') as f:
        f.write('\n'.join(rng.permutation(variants)) + '\n')
    written = dict(variants=variants)
    image_id = 1000000
    for split, per_class in (('trainval', trainval_per_class), ('test', test_per_class)):
        lines, split_variants = [], []
        for position in rng.permutation(len(variants) * per_class):
            variant = variants[position % len(variants)]
            image_id += 1
            save_flat_image(osp.join(data, 'images', f'{image_id}.jpg'), position % len(variants))
            lines.append(f'{image_id} {variant}')
            split_variants.append(variant)
        with open(osp.join(data, f'images_variant_{split}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
        written[f'{split}_variants'] = split_variants
    return written


def write_imagenet21k(root, wnids, per_class=1):
    """Write ``root/<wnid>/<wnid>_<k>.JPEG`` for every wnid; the red channel is the wnid's position in ``wnids``.

    Returns:
        dict: wnid -> list of written paths.
    """
    written = {}
    for position, wnid in enumerate(wnids):
        os.makedirs(osp.join(root, wnid), exist_ok=True)
        written[wnid] = []
        for k in range(per_class):
            path = osp.join(root, wnid, f'{wnid}_{k}.JPEG')
            save_flat_image(path, position)
            written[wnid].append(path)
    return written
