# Copyright (c) mmlt contributors. All rights reserved.
"""Unpack Fashion-MNIST for mmpretrain's ``FashionMNIST`` dataset.

mmpretrain reads the decompressed SN3 files (``train-images-idx3-ubyte``,
...) from ``data_root``. Debian's ``dataset-fashion-mnist`` package ships the
gzip archives in ``/usr/share/datasets/fashion-mnist``; this tool
decompresses them (checking their headers) into ``data/fashion_mnist``.
"""
import argparse
import gzip
import os
import os.path as osp
import shutil
import struct

DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'
# file name -> (magic number, number of items)
FILES = {
    'train-images-idx3-ubyte': (2051, 60000),
    'train-labels-idx1-ubyte': (2049, 60000),
    't10k-images-idx3-ubyte': (2051, 10000),
    't10k-labels-idx1-ubyte': (2049, 10000),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--src',
        default=DEBIAN_DIR,
        help=f'folder with the *-ubyte.gz archives (default: {DEBIAN_DIR}, '
        'from `apt-get install dataset-fashion-mnist`)')
    parser.add_argument(
        '--out', default='data/fashion_mnist', help='output data_root')
    return parser.parse_args()


def check_header(path: str, magic: int, count: int) -> None:
    """Raise if an SN3 file does not start with the expected header."""
    with open(path, 'rb') as f:
        got_magic, got_count = struct.unpack('>II', f.read(8))
    if (got_magic, got_count) != (magic, count):
        raise ValueError(
            f'{path}: header says magic {got_magic} with {got_count} items, '
            f'expected {magic} with {count}; the archive is not the '
            f'Fashion-MNIST release.')


def prepare(src: str, out: str) -> None:
    """Decompress the four archives of ``src`` into ``out``."""
    os.makedirs(out, exist_ok=True)
    for name, (magic, count) in FILES.items():
        target = osp.join(out, name)
        if osp.exists(target):
            check_header(target, magic, count)
            continue
        archive = osp.join(src, name + '.gz')
        if not osp.isfile(archive):
            raise FileNotFoundError(
                f'{archive} is missing; install it with `apt-get install '
                f'dataset-fashion-mnist` (or `make data`), or pass --src.')
        # Decompress beside the target and rename, so an interrupted or
        # rejected file never looks prepared.
        tmp = target + '.part'
        try:
            with gzip.open(archive, 'rb') as fin, open(tmp, 'wb') as fout:
                shutil.copyfileobj(fin, fout)
            check_header(tmp, magic, count)
        except BaseException:
            if osp.exists(tmp):
                os.remove(tmp)
            raise
        os.replace(tmp, target)
    print(f'Fashion-MNIST ready in {out}')


def main():
    args = parse_args()
    prepare(args.src, args.out)


if __name__ == '__main__':
    main()
