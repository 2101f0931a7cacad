"""`pip wheel .` gives a self-contained wheel: its compiled parts need at run time only the C/C++
runtime and libraries from PyPI wheels (pyarrow's Arrow, scipy-openblas32's BLAS, loaded by
path). Installed into a fresh venv, the Python tests pass there.

Slow (a build of the engine in wheel mode and a venv): runs when SEMDEDUP_WHEEL_TEST=1, as
scripts/test.sh sets it."""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
import zipfile

import pytest

from conftest import REPO

pytestmark = pytest.mark.skipif(
    os.environ.get("SEMDEDUP_WHEEL_TEST") != "1" or os.environ.get("SEMDEDUP_IN_WHEEL_VENV") == "1",
    reason="set SEMDEDUP_WHEEL_TEST=1 to build and check the wheel",
)

# The C/C++ runtime (glibc, libstdc++, libgcc, libgomp) and pyarrow's Arrow libraries.
ALLOWED = re.compile(
    r"^(libc|libm|libdl|libpthread|librt|ld-linux-x86-64|libstdc\+\+|libgcc_s|libgomp)\.so(\.\d+)*$"
    r"|^lib(arrow|arrow_compute|arrow_acero|arrow_dataset|parquet)\.so\.\d+$"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("wheel")
    args = [sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check",
            "--no-build-isolation", "--no-deps", "-w", str(out),
            "-C", "build-dir=build/python-wheel"]
    if subprocess.run(["which", "ccache"], capture_output=True).returncode == 0:
        args += ["-C", "cmake.define.CMAKE_CXX_COMPILER_LAUNCHER=ccache"]
    subprocess.run(args + [str(REPO)], check=True, cwd=REPO)
    (path,) = glob.glob(str(out / "semdedup-*.whl"))
    return path


def test_wheel_needs_only_the_runtime_and_pypi_wheels(wheel, tmp_path):
    with zipfile.ZipFile(wheel) as z:
        names = [n for n in z.namelist() if ".so" in n]
        assert names, "no compiled module in the wheel"
        z.extractall(tmp_path)
    for name in names:
        dynamic = subprocess.run(["readelf", "-d", str(tmp_path / name)], check=True,
                                 capture_output=True, text=True).stdout
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic)
        assert needed
        assert [n for n in needed if not ALLOWED.match(n)] == [], needed
        assert "$ORIGIN/../pyarrow" in dynamic


def test_python_tests_pass_from_a_fresh_venv(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    pins = [line.strip() for line in open(REPO / "requirements.txt")
            if re.match(r"^(pyarrow|numpy|scipy-openblas32|pytest)==", line)]
    subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "--only-binary=:all:", *pins, wheel], check=True)
    env = dict(os.environ, SEMDEDUP_IN_WHEEL_VENV="1", PYTHONPATH="")
    # ldd: every library the module needs resolves once pyarrow's directory is beside it.
    module = subprocess.run([py, "-c", "import semdedup._core as c; print(c.__file__)"],
                            check=True, capture_output=True, text=True, env=env).stdout.strip()
    ldd = subprocess.run(["ldd", module], check=True, capture_output=True, text=True).stdout
    assert "not found" not in ldd, ldd
    assert "libopenblas" not in ldd and "libspdlog" not in ldd and "libfmt" not in ldd, ldd
    blas = subprocess.run([py, "-c", "import numpy as np, semdedup; "
                           "semdedup.pairwise_cosine_similarity_batched(np.eye(4, dtype=np.float32)); "
                           "print(semdedup._core.blas_description())"],
                          check=True, capture_output=True, text=True, env=env).stdout
    assert "OpenBLAS" in blas
    tests = REPO / "python" / "tests"
    subprocess.run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)],
                   check=True, env=env, cwd=tmp_path)
