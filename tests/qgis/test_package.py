"""`make package` builds a zip that installs into a clean QGIS profile and lists its tools."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile

from tests.conftest import REPO


def test_zip_installs_into_clean_profile(tmp_path):
    zpath = tmp_path / "mssfc_qgis.zip"
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "package.py"), "--output", str(zpath)],
        check=True,
        capture_output=True,
    )
    with zipfile.ZipFile(zpath) as zf:
        names = set(zf.namelist())
        assert "mssfc_qgis/metadata.txt" in names
        assert "mssfc_qgis/LICENSE" in names  # plugins.qgis.org requires it
        assert "mssfc_qgis/resources/icons/mssfc.svg" in names
        assert "mssfc_qgis/__init__.py" in names
        assert not any("__pycache__" in n for n in names)
        plugins = tmp_path / "profile" / "python" / "plugins"
        zf.extractall(plugins)
    home = tmp_path / "home"
    home.mkdir()
    env = dict(
        os.environ,
        HOME=str(home),
        QT_QPA_PLATFORM="offscreen",
        QGIS_PLUGINPATH=str(plugins),
        PYTHONPATH=sysconfig.get_paths()["purelib"],
        XDG_RUNTIME_DIR=str(tmp_path / "xdg"),
        QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "clean-profile"),  # a profile nothing touched
    )
    (tmp_path / "xdg").mkdir(mode=0o700)
    enable = subprocess.run(
        ["qgis_process.bin", "plugins", "enable", "mssfc_qgis"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert enable.returncode == 0, enable.stdout[-1500:] + enable.stderr[-1500:]
    out = subprocess.run(
        ["qgis_process.bin", "list"], env=env, capture_output=True, text=True, timeout=120
    )
    assert "mssfc:demoscene" in out.stdout, out.stdout[-1500:] + out.stderr[-1500:]
