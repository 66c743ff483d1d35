"""scripts/make_ts.py: the literal strings it finds, and how it updates a translated catalogue."""

from __future__ import annotations

import importlib.util

from tests.conftest import REPO


def _make_ts():
    spec = importlib.util.spec_from_file_location("make_ts", REPO / "scripts" / "make_ts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_source_strings_are_found():
    texts = {text for text, _, _ in _make_ts().collect(REPO / "mssfc_qgis")}
    # a message (tr literal), a tool name (DISPLAY), a help given as a literal, a group name
    assert "No destination was given for {}." in texts
    assert "Morphological building index (MBI)" in texts
    assert "Newly built buildings (unsupervised)" in texts
    assert any(t.startswith("Measures how good a building or change map is") for t in texts)


def test_update_keeps_translations_adds_new_drops_gone(tmp_path):
    make_ts = _make_ts()
    old = [("Method", "a.py", 1), ("Fusion", "a.py", 2), ("Gone from the code", "a.py", 3)]
    de = tmp_path / "mssfc_qgis_de.ts"
    make_ts.write_ts(old, de, "de")
    # a translator finishes two messages and starts a third
    text = de.read_text(encoding="utf-8")
    for source, translated, kind in (
        ("Method", "Methode", ""),
        ("Gone from the code", "Weg", ""),
        ("Fusion", "Fusion?", ' type="unfinished"'),
    ):
        text = text.replace(
            f'<source>{source}</source>\n        <translation type="unfinished"></translation>',
            f"<source>{source}</source>\n        <translation{kind}>{translated}</translation>",
        )
    de.write_text(text, encoding="utf-8")
    kept = make_ts.translations(de)
    assert kept == {
        "Method": ("Methode", None),
        "Gone from the code": ("Weg", None),
        "Fusion": ("Fusion?", "unfinished"),
    }
    new = [("Method", "a.py", 1), ("Fusion", "a.py", 2), ("Threshold < 1 & > 0", "b.py", 9)]
    assert make_ts.write_ts(new, de, "de", keep=kept) == 3
    after = make_ts.translations(de)
    assert after == {
        "Method": ("Methode", None),
        "Fusion": ("Fusion?", "unfinished"),
        "Threshold < 1 & > 0": ("", "unfinished"),
    }
    assert 'language="de"' in de.read_text(encoding="utf-8")
