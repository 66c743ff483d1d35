"""Generate the Qt translation catalogue (.ts) from the plugin's translatable strings.

Two sources, all under the context ``MssfcAlgorithm`` (the one ``algorithms.base.tr`` uses):

- the source: string literals passed to ``tr()``/``self.tr()`` (messages), the ``DISPLAY`` and
  ``HELP`` class attributes given as literals, the toolbox group names;
- the tools themselves (needs QGIS): every text the provider's tools pass to ``tr()`` while they
  define their parameters and outputs and give their name, group and help. This catches what the
  source cannot show as a literal: help built from shared parts, parameter labels and choices
  kept in tables, labels passed through helpers.

Translators copy the English catalogue to ``i18n/mssfc_qgis_<locale>.ts`` and translate it in
Qt Linguist. Each run also brings those catalogues in step with the code (new messages added
unfinished, translations of unchanged messages kept, messages gone from the code dropped);
``scripts/package.py`` compiles them into the ``.qm`` files the plugin loads.

    python scripts/make_ts.py --output i18n/mssfc_qgis_en.ts
"""

from __future__ import annotations

import argparse
import ast
import inspect
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
CONTEXT = "MssfcAlgorithm"
#: The QgsApplication :func:`runtime_texts` starts when none runs (kept alive for the process).
_APP = None


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return None
    return None


def collect(package: Path) -> list[tuple[str, str, int]]:
    """``(text, file, line)`` of every translatable string under ``package``."""
    found: list[tuple[str, str, int]] = []
    for path in sorted(package.rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name == "tr" and node.args:
                    text = _literal(node.args[0])
                    if text:
                        found.append((text, rel, node.lineno))
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and target.id in {"DISPLAY", "HELP"}:
                    value = node.value
                    text = _literal(value) if not isinstance(value, ast.BinOp) else None
                    if text is None:
                        try:
                            text = ast.literal_eval(value)
                        except ValueError:
                            text = None
                    if isinstance(text, str) and text:
                        found.append((text, rel, node.lineno))
                elif isinstance(target, ast.Name) and target.id == "GROUPS":
                    if isinstance(node.value, ast.Dict):
                        for v in node.value.values:
                            text = _literal(v)
                            if text:
                                found.append((text, rel, v.lineno))
    return found


def runtime_texts() -> list[tuple[str, str, int]]:
    """``(text, file, 0)`` of every text the provider's tools pass to ``tr()`` while they
    describe themselves (name, group, help, parameters and outputs, enum choices); ``file`` is
    the tool's module. Starts an offscreen QgsApplication when none is running."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from qgis.core import QgsApplication

    global _APP
    if QgsApplication.instance() is None:
        _APP = QgsApplication([], False)
        _APP.initQgis()
    from mssfc_qgis.algorithms import base
    from mssfc_qgis.provider import algorithm_classes

    found: list[tuple[str, str, int]] = []
    where = [""]
    original = base.tr

    def record(text: str) -> str:
        found.append((text, where[0], 0))
        return original(text)

    base.tr = record
    try:
        for cls in algorithm_classes():
            where[0] = str(Path(inspect.getsourcefile(cls) or "").resolve().relative_to(ROOT))
            alg = cls()
            alg.initAlgorithm({})
            alg.displayName()
            alg.group()
            alg.shortHelpString()
    finally:
        base.tr = original
    return found


def collect_all(package: Path) -> list[tuple[str, str, int]]:
    """The source's strings (:func:`collect`), then the tools' own (:func:`runtime_texts`)."""
    return collect(package) + runtime_texts()


def _unique(entries: list[tuple[str, str, int]]) -> dict[str, tuple[str, int]]:
    seen: dict[str, tuple[str, int]] = {}
    for text, rel, line in entries:
        seen.setdefault(text, (rel, line))
    return seen


def translations(path: Path) -> dict[str, tuple[str, str | None]]:
    """``source -> (translation, type)`` of the finished or unfinished messages in a .ts file
    (``type`` is None for a finished translation)."""
    found: dict[str, tuple[str, str | None]] = {}
    for message in ET.parse(path).getroot().iter("message"):
        source = message.findtext("source")
        node = message.find("translation")
        if source is None or node is None:
            continue
        kind = node.get("type")
        if kind not in {"obsolete", "vanished"}:
            found[source] = (node.text or "", kind)
    return found


def write_ts(
    entries: list[tuple[str, str, int]],
    output: Path,
    language: str,
    keep: dict[str, tuple[str, str | None]] | None = None,
) -> int:
    """Write the .ts file; returns the number of unique messages. ``keep`` (see
    :func:`translations`) gives the translations to carry over, by source text."""
    keep = keep or {}
    seen = _unique(entries)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<!DOCTYPE TS>",
        f'<TS version="2.1" language="{language}">',
        "<context>",
        f"    <name>{CONTEXT}</name>",
    ]
    for text, (rel, _line) in seen.items():
        translation, kind = keep.get(text, ("", "unfinished"))
        state = f' type="{kind}"' if kind else ""
        lines += [
            "    <message>",
            f'        <location filename="../{rel}"/>',
            f"        <source>{escape(text)}</source>",
            f"        <translation{state}>{escape(translation)}</translation>",
            "    </message>",
        ]
    lines += ["</context>", "</TS>", ""]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(lines), encoding="utf-8")
    return len(seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=ROOT / "i18n" / "mssfc_qgis_en.ts")
    parser.add_argument("--language", default="en")
    args = parser.parse_args()
    entries = collect_all(ROOT / "mssfc_qgis")
    n = write_ts(entries, args.output, args.language)
    print(f"{n} messages -> {args.output}")
    for other in sorted(args.output.parent.glob("mssfc_qgis_*.ts")):
        if other.resolve() == args.output.resolve():
            continue
        language = other.stem.removeprefix("mssfc_qgis_")
        kept = translations(other)
        write_ts(entries, other, language, keep=kept)
        done = sum(1 for text in _unique(entries) if kept.get(text, ("", "x"))[1] is None)
        print(f"{other.name}: {done} of {n} messages translated")


if __name__ == "__main__":
    main()
