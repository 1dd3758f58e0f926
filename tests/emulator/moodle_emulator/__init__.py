# -*- coding: utf-8 -*-
# Copyright: lmsops.moodle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Moodle REST web-service emulator for the lmsops.moodle collection's tests."""

from __future__ import annotations

from .server import Emulator
from .state import Site, load_seed

__all__ = ['Emulator', 'Site', 'load_seed']
__version__ = '1.0.0'
