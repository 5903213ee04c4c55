# Copyright (c) mmlt contributors. All rights reserved.
import os
import os.path as osp
import shutil
import sys
import warnings
from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def readme():
    with open(osp.join(HERE, 'README.md'), encoding='utf-8') as f:
        return f.read()


def get_version():
    namespace = {}
    with open(osp.join(HERE, 'mmlt', 'version.py')) as f:
        exec(compile(f.read(), 'mmlt/version.py', 'exec'), namespace)
    return namespace['__version__']


def parse_requirements(fname):
    """Requirement strings of a requirements file, skipping comments and
    ``-r`` includes."""
    requirements = []
    with open(osp.join(HERE, fname)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line and not line.startswith('-'):
                requirements.append(line)
    return requirements


def add_mim_extension():
    """Ship ``configs/``, ``tools/`` and ``model-index.yml`` inside the
    package as ``mmlt/.mim``.

    OpenMMLab's ``mim`` finds a package's configs, tools and model index
    there (``mim train mmlt CONFIG``, ``mim search mmlt``), and importing
    mmlt registers the index with mmpretrain's ``ModelHub``. Editable
    installs link them, other installs copy.
    """
    if 'develop' in sys.argv or any('editable' in a for a in sys.argv):
        mode = 'symlink'
    elif any(a in sys.argv for a in ('sdist', 'bdist_wheel', 'install')):
        mode = 'copy'
    else:
        return
    mim_path = osp.join(HERE, 'mmlt', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in ('configs', 'tools', 'model-index.yml'):
        src = osp.join(HERE, name)
        dst = osp.join(mim_path, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            try:
                os.symlink(osp.relpath(src, mim_path), dst)
                continue
            except OSError:
                warnings.warn(f'Could not link {dst}; copying instead.')
        if osp.isfile(src):
            shutil.copyfile(src, dst)
        else:
            shutil.copytree(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmlt',
        version=get_version(),
        description='Long-tailed image classification for OpenMMLab '
        '(mmpretrain plugin)',
        long_description=readme(),
        long_description_content_type='text/markdown',
        keywords='long-tailed recognition, image classification, mmpretrain',
        packages=find_packages(exclude=('configs', 'tools', 'tests')),
        include_package_data=True,
        package_data={
            'mmlt': [
                '.mim/model-index.yml', '.mim/configs/**/*.py',
                '.mim/configs/**/metafile.yml', '.mim/configs/**/README.md',
                '.mim/tools/**/*'
            ]
        },
        python_requires='>=3.8',
        license='Apache License 2.0',
        classifiers=[
            'Programming Language :: Python :: 3',
            'Topic :: Scientific/Engineering :: Artificial Intelligence',
        ],
        install_requires=parse_requirements('requirements/runtime.txt'),
        extras_require={
            'tests': parse_requirements('requirements/tests.txt'),
            'mim': parse_requirements('requirements/mminstall.txt'),
            'optional': parse_requirements('requirements/optional.txt'),
        },
        zip_safe=False)
