"""The translation catalogue in i18n/ lists every translatable string of the plugin."""

from __future__ import annotations

import importlib.util

from tests.conftest import REPO


def test_ts_catalogue_is_up_to_date(tmp_path):
    spec = importlib.util.spec_from_file_location("make_ts", REPO / "scripts" / "make_ts.py")
    make_ts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_ts)
    fresh = tmp_path / "fresh.ts"
    n = make_ts.write_ts(make_ts.collect(REPO / "mssfc_qgis"), fresh, "en")
    assert n > 50  # every tool's name, help and parameter labels
    committed = (REPO / "i18n" / "mssfc_qgis_en.ts").read_text(encoding="utf-8")
    assert fresh.read_text(encoding="utf-8") == committed, "run `make i18n` and commit i18n/"
