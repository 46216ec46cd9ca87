"""The base of the closed-set source datasets read from official files: a checked ``split`` and no annotation file."""
from typing import Dict, List, Sequence, Tuple

from mmpretrain.datasets import BaseDataset

from .layouts import check_image_files


class SourceDataset(BaseDataset):
    """A dataset that reads one named split of an official release under ``data_root`` (no annotation file).

    A subclass lists its split names in ``SPLITS`` (and, in ``SPLIT_ALIASES``, other names that stand for one of them)
    and implements ``load_data_list`` for ``self.split``, the resolved name. An unknown split raises
    :class:`ValueError` naming the class and the accepted names before anything is read. Once loaded, every image
    file the samples list (``img_path``) must exist and not be empty
    (:func:`~openmixosr.datasets.layouts.check_image_files`), whether the dataset is used alone or as the source of
    an :class:`~openmixosr.datasets.OpenSetDataset`.

    Args:
        data_root (str): Directory holding the dataset's files.
        split (str): One of ``SPLITS`` or ``SPLIT_ALIASES``. Defaults to ``'train'``.
        pipeline (Sequence): Processing pipeline. Defaults to ().
        test_mode (bool): Raise instead of re-sampling when a sample fails in the pipeline. Defaults to False.
        indices (int | Sequence[int], optional): Keep only these samples (or the first ``indices``). Defaults to None.
        serialize_data (bool): Keep the data list pickled in one buffer shared by dataloader workers.
            Defaults to True.
    """

    SPLITS: Tuple[str, ...] = ('train', 'test')
    SPLIT_ALIASES: Dict[str, str] = {}

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 indices=None,
                 serialize_data: bool = True):
        self.split = self.resolve_split(split)
        super().__init__(
            ann_file='',
            data_root=data_root,
            pipeline=pipeline,
            test_mode=test_mode,
            indices=indices,
            serialize_data=serialize_data)

    @classmethod
    def resolve_split(cls, split: str) -> str:
        """The split that ``split`` names: itself, or the one it is an alias of.

        Args:
            split (str): A name from ``SPLITS`` or ``SPLIT_ALIASES``.

        Returns:
            str: A name from ``SPLITS``.

        Raises:
            ValueError: For any other name, e.g. ``SVHN split must be 'train' or 'test', got 'val'``.
        """
        if split in cls.SPLITS:
            return split
        if split in cls.SPLIT_ALIASES:
            return cls.SPLIT_ALIASES[split]
        names = [repr(name) for name in cls.SPLITS]
        names += [f'{alias!r} (= {target!r})' for alias, target in cls.SPLIT_ALIASES.items()]
        choices = f'{", ".join(names[:-1])} or {names[-1]}' if len(names) > 1 else names[0]
        raise ValueError(f'{cls.__name__} split must be {choices}, got {split!r}')

    def filter_data(self) -> List[dict]:
        """The loaded samples, once :func:`~openmixosr.datasets.layouts.check_image_files` accepts their files.

        Raises:
            MissingDataError: A listed image file does not exist.
            EmptyImageFileError: A listed image file is empty.
        """
        check_image_files(self.data_list, type(self).__name__)
        return super().filter_data()

    def extra_repr(self):
        """The extra repr information of the dataset: the data root (when there is one) and the split."""
        data_root = [f'Data root: \t{self.data_root}'] if self.data_root else []
        return data_root + [f'Split: \t{self.split}']
