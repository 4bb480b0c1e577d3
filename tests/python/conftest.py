# SPDX-License-Identifier: MIT
"""pytest setup: every test starts from afw's default mask-plane dictionary."""

import pytest

import skystack.image as afwImage


@pytest.fixture(autouse=True)
def fresh_mask_dictionary():
    afwImage.Mask._resetDefaultMaskPlaneDict()
    yield
    afwImage.Mask._resetDefaultMaskPlaneDict()
