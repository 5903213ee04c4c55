# Copyright (c) mmlt contributors. All rights reserved.
"""Errors for prepared datasets that say what is missing and where."""
from typing import Sequence

from mmengine.fileio import exists


def require_file(path: str, owner: str, hint: str) -> None:
    """Raise a ``FileNotFoundError`` that says where ``path`` comes from.

    Args:
        path (str): The expected file.
        owner (str): Who needs it, first in the message.
        hint (str): How to get the file or point to it.
    """
    if not exists(path):
        raise FileNotFoundError(f'{owner}: {path} does not exist; {hint}')


def report_missing_images(missing: Sequence[tuple], total: int, where: str,
                          img_root: str) -> None:
    """Raise one error for all listed images that are not on disk.

    Args:
        missing (Sequence[tuple]): ``(location, relative path)`` of each
            missing image, in listing order; ``location`` is ``file:line``
            or a json entry.
        total (int): The number of images listed.
        where (str): The listing, for the message.
        img_root (str): The folder the paths are relative to.
    """
    if not missing:
        return
    location, path = missing[0]
    more = (f' {len(missing) - 1} more of the {total} images of {where} are '
            f'missing too.' if len(missing) > 1 else '')
    raise FileNotFoundError(
        f'{location}: image {path!r} is not under {img_root!r}.{more} Put the '
        f'images there, point data_root (or data_prefix) at their folder, '
        f'or pass check_files=False to skip this check.')
