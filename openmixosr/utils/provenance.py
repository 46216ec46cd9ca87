"""What produced a result: the code, the libraries and the device of a training run.

A finished run records these (:class:`~openmixosr.engine.hooks.RunRecordHook`), and the table tools compare them with
the code that makes the table: a result of other code is marked, never passed off as this code's
(docs/benchmark_table.md, "Run identity").
"""
import hashlib
import os
import os.path as osp
import subprocess
from functools import lru_cache
from importlib import metadata
from typing import Dict, Optional

import torch

PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: The files whose content is the code of the package: the sources and the data shipped with them (class splits).
SOURCE_SUFFIXES = ('.py', '.json')
#: The libraries whose versions a run records (a result can change with any of them).
LIBRARIES = ('torch', 'torchvision', 'mmengine', 'mmcv-lite', 'mmpretrain', 'numpy', 'scikit-learn')


def source_digest(package_dir: str = PACKAGE_DIR) -> str:
    """SHA-256 of the package's sources: every ``.py`` / ``.json`` file under ``package_dir``, by relative path and
    content (a ``git pull``, a local edit or another installed version changes it; ``__pycache__`` does not)."""
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(package_dir):
        dirs[:] = sorted(name for name in dirs if name != '__pycache__')
        for name in sorted(files):
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            path = osp.join(root, name)
            digest.update(osp.relpath(path, package_dir).replace(os.sep, '/').encode() + b'\0')
            with open(path, 'rb') as file:
                digest.update(hashlib.sha256(file.read()).digest())
    return digest.hexdigest()


def git_revision(directory: str = PACKAGE_DIR) -> Optional[str]:
    """``<commit>`` or ``<commit>+dirty`` (uncommitted changes) of the git checkout holding ``directory``; None
    outside a checkout or without git. For people reading a record: the identity of the code is
    :func:`source_digest`, which also covers an installed package."""
    def git(*args):
        return subprocess.run(['git', '-C', directory, *args], capture_output=True, text=True, timeout=30)
    try:
        commit = git('rev-parse', 'HEAD')
        if commit.returncode != 0:
            return None
        dirty = git('status', '--porcelain', '--untracked-files=no', '--', '.')
    except (OSError, subprocess.SubprocessError):
        return None
    return commit.stdout.strip() + ('+dirty' if dirty.stdout.strip() else '')


@lru_cache(maxsize=None)
def _version(distribution: str) -> Optional[str]:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def library_versions() -> Dict[str, Optional[str]]:
    """The installed versions of :data:`LIBRARIES` (None for one that is not installed)."""
    return {name: _version(name) for name in LIBRARIES}


def code_version() -> Dict[str, Optional[str]]:
    """``openmixosr`` (the package version), ``source_digest`` (:func:`source_digest`) and ``git``
    (:func:`git_revision`) of the package this process imports. Computed at each call: a long queue sees edits."""
    from openmixosr.version import __version__
    return dict(openmixosr=__version__, source_digest=source_digest(), git=git_revision())


def device_description(device: torch.device) -> str:
    """``'cpu'`` or ``'cuda: <GPU name>'`` (the card decides float results and speed)."""
    device = torch.device(device)
    if device.type == 'cuda':
        return f'cuda: {torch.cuda.get_device_name(device)}'
    return device.type


def describe_code(code: Dict[str, Optional[str]]) -> str:
    """One line naming a code version: ``'openmixosr 0.1.0, sources 1a2b3c4d5e6f, git 1dc1443+dirty'``."""
    git = code.get('git')
    return (f'openmixosr {code.get("openmixosr")}, sources {str(code.get("source_digest"))[:12]}'
            + (f', git {git[:7]}{"+dirty" if git.endswith("+dirty") else ""}' if git else ''))
