"""Every text the tools show can be translated, and a compiled catalogue changes what they show."""

from __future__ import annotations

import importlib.util
import shutil
from xml.sax.saxutils import escape

import pytest

from tests.conftest import REPO

CATALOGUE = REPO / "i18n" / "mssfc_qgis_en.ts"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shown_texts(provider) -> list[str]:
    """What the toolbox and the tool dialogs show (English): the provider's and each tool's name,
    group and help, every parameter's and output's label, every choice of an enum."""
    texts = [provider.name()]
    for alg in provider.algorithms():
        texts += [alg.displayName(), alg.group(), alg.shortHelpString()]
        for param in alg.parameterDefinitions():
            texts.append(param.description())
            if param.type() == "enum":
                texts += param.options()
        texts += [out.description() for out in alg.outputDefinitions()]
    return [t for t in dict.fromkeys(texts) if t]


def test_catalogue_is_up_to_date(qgis_app, tmp_path):
    make_ts = _script("make_ts")
    fresh = tmp_path / "fresh.ts"
    n = make_ts.write_ts(make_ts.collect_all(REPO / "mssfc_qgis"), fresh, "en")
    assert n > 100
    committed = CATALOGUE.read_text(encoding="utf-8")
    assert fresh.read_text(encoding="utf-8") == committed, "run `make i18n` and commit i18n/"


def test_every_shown_text_is_in_the_catalogue(provider):
    sources = CATALOGUE.read_text(encoding="utf-8")
    texts = shown_texts(provider)
    assert len(texts) > 100
    missing = [t[:60] for t in texts if f"<source>{escape(t)}</source>" not in sources]
    assert not missing, f"not in {CATALOGUE.name} (run `make i18n`): {missing}"


@pytest.mark.skipif(
    shutil.which("lrelease") is None,
    reason="Qt's lrelease is not installed (apt-get install qttools5-dev-tools); it compiles .qm",
)
def test_compiled_catalogue_translates_the_tools(provider, tmp_path):
    from mssfc_qgis.translation import install_translator, qm_path, remove_translator

    make_ts = _script("make_ts")
    package = _script("package")
    group = "Newly built buildings (unsupervised)"
    label = "LVC angle tolerance theta (degrees)"
    help_start = "Step 2: the Morphological Building Index"
    entries = make_ts.collect_all(REPO / "mssfc_qgis")
    help_text = next(t for t, _, _ in entries if t.startswith(help_start))
    keep = {
        group: ("Neu gebaute Gebäude (unüberwacht)", None),
        label: ("LVC-Winkeltoleranz theta (Grad)", None),
        help_text: ("Schritt 2: der morphologische Gebäudeindex.", None),
    }
    folder = tmp_path / "i18n"
    folder.mkdir()
    make_ts.write_ts(entries, folder / "mssfc_qgis_de.ts", "de", keep=keep)
    assert [p.name for p in package.compile_translations(folder, folder)] == ["mssfc_qgis_de.qm"]
    assert qm_path("de_AT", folder) == folder / "mssfc_qgis_de.qm"
    assert qm_path("fr_FR", folder) is None

    mbi = provider.algorithm("morphologicalbuildingindex")
    newly = provider.algorithm("newlybuilt")
    assert install_translator("fr_FR", folder) is None
    translator = install_translator("de_DE", folder)
    assert translator is not None
    try:
        assert mbi.group() == "Neu gebaute Gebäude (unüberwacht)"
        assert mbi.shortHelpString() == "Schritt 2: der morphologische Gebäudeindex."
        fresh = newly.createInstance()
        fresh.initAlgorithm({})
        angle = fresh.parameterDefinition("ANGLE_TOLERANCE").description()
        assert angle == "LVC-Winkeltoleranz theta (Grad)"
        assert fresh.displayName() == newly.displayName()  # not translated: stays English
    finally:
        remove_translator(translator)
    assert mbi.group() == group
