"""Generate the Qt translation catalogue (.ts) from the plugin's translatable strings.

Collects string literals passed to ``tr()``/``self.tr()``, the ``DISPLAY`` and ``HELP`` class
attributes of algorithms and the toolbox group names, all under the context ``MssfcAlgorithm``
(the one ``algorithms.base.tr`` uses). Translators open the file in Qt Linguist; ``lrelease``
turns it into the ``.qm`` QGIS loads.

    python scripts/make_ts.py --output i18n/mssfc_qgis_en.ts
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
CONTEXT = "MssfcAlgorithm"


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


def write_ts(entries: list[tuple[str, str, int]], output: Path, language: str) -> int:
    """Write the .ts file; returns the number of unique messages."""
    seen: dict[str, tuple[str, int]] = {}
    for text, rel, line in entries:
        seen.setdefault(text, (rel, line))
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<!DOCTYPE TS>",
        f'<TS version="2.1" language="{language}">',
        "<context>",
        f"    <name>{CONTEXT}</name>",
    ]
    for text, (rel, _line) in seen.items():
        lines += [
            "    <message>",
            f'        <location filename="../{rel}"/>',
            f"        <source>{escape(text)}</source>",
            '        <translation type="unfinished"></translation>',
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
    n = write_ts(collect(ROOT / "mssfc_qgis"), args.output, args.language)
    print(f"{n} messages -> {args.output}")


if __name__ == "__main__":
    main()
