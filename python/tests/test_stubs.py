"""The committed type stub of the extension (semdedup/_core.pyi) is what nanobind's stub
generator writes for the module built from this checkout."""

from __future__ import annotations

import importlib.util
import pathlib
import subprocess
import sys

import pytest

import semdedup

STUB = pathlib.Path(__file__).resolve().parents[1] / "semdedup" / "_core.pyi"


@pytest.mark.skipif(importlib.util.find_spec("nanobind") is None, reason="nanobind not installed")
@pytest.mark.skipif(semdedup._core.BLAS_FROM_WHEEL, reason="the stub is generated from the project build")
def test_committed_stub_is_current(tmp_path):
    out = tmp_path / "_core.pyi"
    subprocess.run([sys.executable, "-m", "nanobind.stubgen", "-q", "-m", "semdedup._core", "-o", str(out)],
                   check=True)
    assert out.read_text() == STUB.read_text(), "regenerate: python -m nanobind.stubgen -m semdedup._core"
