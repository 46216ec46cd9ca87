"""Image loading that names the file it cannot read: :class:`StrictLoadImageFromFile`, the configs' loading transform.

mmcv's ``LoadImageFromFile`` (which mmpretrain's registry gives for ``type='LoadImageFromFile'``) lets the decoder's
error through as it comes: an empty file raises ``cv2.error ... !buf.empty()`` and a file Pillow cannot identify
``cannot identify image file <_io.BytesIO ...>``, neither naming the file, in a dataloader worker in the middle of an
epoch. Its ``ignore_empty=True`` is no cure: the transform then returns None, and MMEngine's dataset silently draws
another sample in training (the broken file is never reported) and fails with a message naming no file in testing.
"""
from typing import Optional

from mmcv.transforms import LoadImageFromFile

from openmixosr.registry import TRANSFORMS


class UnreadableImageError(RuntimeError):
    """An image file of a dataset could not be read or decoded; the message names the file."""


@TRANSFORMS.register_module()
class StrictLoadImageFromFile(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` that never skips a sample and names the file it fails on.

    Reads ``results['img_path']`` and decodes it as mmcv does (``img``, ``img_shape``, ``ori_shape``; BGR with
    ``color_type='color'``). Any failure to read or decode the file (missing, empty, truncated, not an image) raises
    :class:`UnreadableImageError` with the path, the decoder's own error chained. The datasets refuse missing and
    empty files when they are built (:func:`~openmixosr.datasets.layouts.check_image_files`); this transform catches
    what only decoding reveals.

    Args:
        to_float32 (bool): Convert the image to float32. Defaults to False (uint8).
        color_type (str): ``'color'``, ``'grayscale'``, ``'unchanged'``, ... as in :func:`mmcv.imfrombytes`.
            Defaults to ``'color'``.
        imdecode_backend (str): ``'cv2'``, ``'pillow'``, ``'turbojpeg'`` or ``'tifffile'``. Defaults to ``'cv2'``.
        backend_args (dict, optional): Arguments of the file backend (:func:`mmengine.fileio.get`). Defaults to None
            (local files).
    """

    def __init__(self,
                 to_float32: bool = False,
                 color_type: str = 'color',
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None) -> None:
        super().__init__(
            to_float32=to_float32,
            color_type=color_type,
            imdecode_backend=imdecode_backend,
            ignore_empty=False,
            backend_args=backend_args)

    def transform(self, results: dict) -> dict:
        """Load the image of ``results['img_path']``.

        Args:
            results (dict): A sample's data info.

        Returns:
            dict: ``results`` with ``img``, ``img_shape`` and ``ori_shape``.

        Raises:
            UnreadableImageError: The file cannot be read or decoded.
        """
        path = results['img_path']
        try:
            return super().transform(results)
        except Exception as error:  # cv2.error, PIL.UnidentifiedImageError, OSError, mmcv's AssertionError, ...
            raise UnreadableImageError(
                f'Cannot read the image file {path!r} ({type(error).__name__}: {str(error).strip()}). Is it truncated '
                'or not an image? Copy or extract it again (or delete it and the annotation line that lists it).'
            ) from error
