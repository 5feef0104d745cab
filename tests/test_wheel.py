"""The templates, seeds and default config travel inside the wheel, and the wheel works alone."""

import os
import subprocess
import sys
import zipfile

import pytest

from tests.support import PROJECT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(PROJECT)],
                   check=True, capture_output=True, timeout=600)
    (path,) = out.glob("briefing-*.whl")
    return path


def test_the_wheel_carries_templates_seeds_and_config(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("briefing/_bundled/templates/default/briefing.html",
                     "briefing/_bundled/templates/default/style.css",
                     "briefing/_bundled/seeds/000_4bea9b6b3f760c8e.txt",
                     "briefing/_bundled/seeds/wire-roundup.rss",
                     "briefing/_bundled/config.yaml"):
        assert expected in names


def test_the_installed_wheel_runs_in_an_empty_folder(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import briefing; print(briefing.__file__)"],
                           cwd=empty, env=env, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(target))  # the wheel's copy, not the source tree
    result = subprocess.run([sys.executable, "-m", "briefing", "run", "--date", "2025-03-12"],
                            cwd=empty, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (empty / "out" / "analyst" / "2025-03-12.pdf").stat().st_size > 10_000
