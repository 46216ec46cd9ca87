"""Install OpenMixOSR: ``pip install -e .`` (add ``[tests]`` for the test tools); ``python -m build`` for a wheel."""
import os
import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent
#: Folders of the checkout that the wheel ships inside the package, as OpenMMLab packages do (``<package>/.mim``): the
#: configs (``openmixosr::NAME`` and ``_base_ = 'openmixosr::NAME'``) and the tools (the ``openmixosr`` command).
MIM_FOLDERS = ('configs', 'tools')


def read_requirements(name):
    """Requirement lines of ``requirements/{name}.txt`` without comments."""
    lines = (HERE / 'requirements' / f'{name}.txt').read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith('#')]


def read_version():
    namespace = {}
    exec((HERE / 'openmixosr' / 'version.py').read_text(), namespace)
    return namespace['__version__']


#: MMEngine reads ``.mim/model-index.yml`` before it looks for ``.mim/configs/NAME``: an index of no model files sends
#: every ``openmixosr::NAME`` to the configs folder.
MODEL_INDEX = '# OpenMixOSR publishes no model metafiles: `openmixosr::NAME` is `.mim/configs/NAME`.\nImport: []\n'


class BuildWithMim(build_py):
    """``build_py`` that also copies ``configs/`` and ``tools/`` into ``openmixosr/.mim/`` of the built package, with
    the model index MMEngine reads there (an editable install reads them from the checkout instead)."""

    def run(self):
        super().run()
        (Path(self.build_lib) / 'openmixosr' / '.mim').mkdir(parents=True, exist_ok=True)
        (Path(self.build_lib) / 'openmixosr' / '.mim' / 'model-index.yml').write_text(MODEL_INDEX)
        for folder in MIM_FOLDERS:
            source = HERE / folder
            target = Path(self.build_lib) / 'openmixosr' / '.mim' / folder
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
            for path in target.rglob('*.sh'):
                os.chmod(path, 0o755)


setup(
    name='openmixosr',
    version=read_version(),
    description='OpenMMLab-style toolkit for learned mixup and open-set recognition',
    long_description=(HERE / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'configs.*', 'tools', 'tools.*', 'tests', 'tests.*', 'docs')),
    # The published class splits of the Semantic Shift Benchmark, read at run time by openmixosr/datasets/splits.py.
    package_data={'openmixosr.datasets': ['ssb_splits/*.json', 'ssb_splits/README.md']},
    cmdclass={'build_py': BuildWithMim},
    entry_points={'console_scripts': ['openmixosr = openmixosr.cli:main']},
    python_requires='>=3.9',
    install_requires=read_requirements('runtime'),
    extras_require={
        'tests': read_requirements('tests'),
        'optional': read_requirements('optional'),
    },
    license='Apache-2.0',
    license_files=['LICENSE'],
    zip_safe=False,
)
