"""Parameters shared by the unsupervised tools, mapped onto ``NewlyBuiltConfig`` fields."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
)

from .base import MssfcAlgorithm

METHODS = ("proposed", "obisfa", "sfambi", "spetexmbi")
FUSIONS = ("feature", "decision")
LIKELIHOOD_MODES = ("product", "sum")
#: core.unsupervised.texture.MAX_WINDOW, the largest GLCM window the core computes (a literal:
#: the toolbox lists the tools without importing OpenCV; a test checks they agree)
MAX_TEXTURE_WINDOW = 63
TEXTURE_CHANGES = ("difference", "isfa")

SOURCE_NOTE = (
    "\n\nMethod: 'Automatic Detection of Newly Built Buildings Utilizing Change Information and "
    "Building Indices' (Buildings, MDPI, 2025, 15(21), 3946). Only its discussion survives; the "
    "steps are rebuilt from the methods it cites (ISFA: Wu, Du & Zhang, IEEE TGRS 2014; MBI: "
    "Huang & Zhang, PE&RS 2011 and IEEE JSTARS 2012). Choices that are this project's own "
    "reconstruction are marked 'ours'."
)


@dataclass(frozen=True)
class Param:
    """A number or choice parameter and the config field it sets."""

    name: str
    label: str
    field: str
    kind: str  # "double", "int", "enum", "optional_double"
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    options: tuple[str, ...] = ()
    advanced: bool = False

    def create(self, tr: Callable[[str], str]) -> QgsProcessingParameterDefinition:
        """The QGIS parameter."""
        if self.kind == "enum":
            p: QgsProcessingParameterDefinition = QgsProcessingParameterEnum(
                self.name,
                tr(self.label),
                options=[tr(o) for o in self.options],
                defaultValue=self.default,
            )
        else:
            number = (
                QgsProcessingParameterNumber.Integer
                if self.kind == "int"
                else QgsProcessingParameterNumber.Double
            )
            p = QgsProcessingParameterNumber(
                self.name,
                tr(self.label),
                number,
                self.default,
                self.kind == "optional_double",
                self.minimum if self.minimum is not None else -1e300,
                self.maximum if self.maximum is not None else 1e300,
            )
        if self.advanced:
            p.setFlags(p.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        return p

    def value(
        self, alg: MssfcAlgorithm, parameters: dict[str, Any], context: QgsProcessingContext
    ) -> Any:
        """The config value of this parameter (an enum gives its config value, not its label)."""
        if self.kind == "enum":
            return ENUM_VALUES[self.name][alg.parameterAsEnum(parameters, self.name, context)]
        if self.kind == "int":
            return alg.parameterAsInt(parameters, self.name, context)
        if self.kind == "optional_double" and parameters.get(self.name) in (None, ""):
            return None
        return alg.parameterAsDouble(parameters, self.name, context)


PARAMS = {
    p.name: p
    for p in (
        Param(
            "ANGLE_TOLERANCE",
            "LVC angle tolerance theta (degrees)",
            "angle_tolerance_deg",
            "double",
            4.0,
            0.0,
            45.0,
        ),
        Param(
            "FUSION_WEIGHT",
            "Fusion weight phi of BLI in BI",
            "fusion_weight",
            "double",
            0.4,
            0.0,
            1.0,
        ),
        Param(
            "THRESHOLD",
            "Likelihood threshold (empty = Otsu)",
            "threshold",
            "optional_double",
            None,
            0.0,
            1.0,
        ),
        Param(
            "MAX_ASPECT_RATIO",
            "Maximum geometric index GI (long / short side)",
            "max_aspect_ratio",
            "double",
            4.0,
            1.0,
            1000.0,
        ),
        Param(
            "MIN_AREA",
            "Minimum object area (square metres)",
            "min_area_m2",
            "double",
            20.0,
            0.0,
            None,
        ),
        Param(
            "METHOD",
            "Method",
            "method",
            "enum",
            0,
            options=(
                "Proposed (ISFA + texture, MBI + BLI)",
                "OBISFA (baseline)",
                "SFAMBI (baseline)",
                "SPETEXMBI (baseline)",
            ),
        ),
        Param(
            "FUSION",
            "Fusion",
            "fusion",
            "enum",
            0,
            options=(
                "Feature level (likelihood, default)",
                "Decision level (threshold CI and BI, then AND)",
            ),
        ),
        Param(
            "LIKELIHOOD_MODE",
            "Likelihood",
            "likelihood_mode",
            "enum",
            0,
            options=("Product N(CI) x N(BI)", "Weighted sum"),
            advanced=True,
        ),
        Param(
            "LIKELIHOOD_WEIGHT",
            "Weight of CI in a weighted-sum likelihood",
            "likelihood_weight",
            "double",
            0.5,
            0.0,
            1.0,
            advanced=True,
        ),
        Param(
            "CI_WEIGHT",
            "Weight a of spectral change in CI (ours)",
            "ci_weight",
            "double",
            0.5,
            0.0,
            1.0,
            advanced=True,
        ),
        Param(
            "TEXTURE_CHANGE",
            "Texture change measure",
            "texture_change",
            "enum",
            0,
            options=(
                "Standardized difference of the GLCM statistics (default)",
                "ISFA over the GLCM statistics",
            ),
            advanced=True,
        ),
        Param(
            "TEXTURE_WINDOW",
            "Texture (GLCM) window (pixels, odd)",
            "texture_window",
            "int",
            7,
            3,
            MAX_TEXTURE_WINDOW,
            advanced=True,
        ),
        Param(
            "MBI_MIN_LENGTH",
            "MBI shortest line (metres)",
            "mbi_min_length_m",
            "double",
            2.0,
            0.1,
            None,
            advanced=True,
        ),
        Param(
            "MBI_MAX_LENGTH",
            "MBI longest line (metres; above the widest building)",
            "mbi_max_length_m",
            "double",
            50.0,
            0.5,
            None,
            advanced=True,
        ),
        Param(
            "MBI_STEP",
            "MBI line length step (metres)",
            "mbi_step_m",
            "double",
            5.0,
            0.1,
            None,
            advanced=True,
        ),
        Param(
            "LINE_DISTANCE",
            "LVC distance between segments (metres)",
            "bli_max_distance_m",
            "double",
            3.0,
            0.1,
            None,
            advanced=True,
        ),
    )
}
ENUM_VALUES = {
    "METHOD": METHODS,
    "FUSION": FUSIONS,
    "LIKELIHOOD_MODE": LIKELIHOOD_MODES,
    "TEXTURE_CHANGE": TEXTURE_CHANGES,
}

PIXEL_SIZE = "PIXEL_SIZE"


def add_params(alg: MssfcAlgorithm, names: tuple[str, ...]) -> None:
    """Add the named shared parameters to ``alg``."""
    for name in names:
        alg.addParameter(PARAMS[name].create(alg.tr))


REFERENCE = "REFERENCE"


def add_reference(alg: MssfcAlgorithm) -> None:
    """Optional REFERENCE raster: compute on the image put on its grid (the pair's T1)."""
    alg.addParameter(
        QgsProcessingParameterRasterLayer(
            REFERENCE,
            alg.tr("Put the image on this raster's grid first (T1 of the pair; optional)"),
            optional=True,
        )
    )


def add_pixel_size(alg: MssfcAlgorithm) -> None:
    """PIXEL_SIZE override (metres; 0 = from the raster)."""
    p = QgsProcessingParameterNumber(
        PIXEL_SIZE,
        alg.tr("Pixel size in metres (0 = from the raster's CRS)"),
        QgsProcessingParameterNumber.Double,
        0.0,
        False,
        0.0,
    )
    p.setFlags(p.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    alg.addParameter(p)


def config_from(
    alg: MssfcAlgorithm, parameters: dict[str, Any], context: QgsProcessingContext
) -> Any:
    """``NewlyBuiltConfig`` with every shared parameter ``alg`` declares."""
    from ..core.newlybuilt import NewlyBuiltConfig

    values: dict[str, Any] = {}
    for name, param in PARAMS.items():
        if alg.parameterDefinition(name) is None:
            continue
        values[param.field] = param.value(alg, parameters, context)
    return NewlyBuiltConfig(**values)


def pixel_size(
    alg: MssfcAlgorithm, parameters: dict[str, Any], context: QgsProcessingContext
) -> float | None:
    """The PIXEL_SIZE override or None."""
    value = alg.parameterAsDouble(parameters, PIXEL_SIZE, context)
    return value or None
