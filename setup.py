"""Install OpenMixOSR: ``pip install -e .`` (add ``[tests]`` for the test tools)."""
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def read_requirements(name):
    """Requirement lines of ``requirements/{name}.txt`` without comments."""
    lines = (HERE / 'requirements' / f'{name}.txt').read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith('#')]


def read_version():
    namespace = {}
    exec((HERE / 'openmixosr' / 'version.py').read_text(), namespace)
    return namespace['__version__']


setup(
    name='openmixosr',
    version=read_version(),
    description='OpenMMLab-style toolkit for learned mixup and open-set recognition',
    long_description=(HERE / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
    # The published class splits of the Semantic Shift Benchmark, read at run time by openmixosr/datasets/splits.py.
    package_data={'openmixosr.datasets': ['ssb_splits/*.json', 'ssb_splits/README.md']},
    python_requires='>=3.9',
    install_requires=read_requirements('runtime'),
    extras_require={
        'tests': read_requirements('tests'),
        'optional': read_requirements('optional'),
    },
    license='Apache-2.0',
    zip_safe=False,
)
