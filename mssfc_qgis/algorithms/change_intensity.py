"""Newly built buildings (unsupervised) > Change intensity (ISFA spectral + texture)."""

from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)

from .base import FeedbackProgress, MssfcAlgorithm, compute_workers
from .unsupervised_common import SOURCE_NOTE, add_params, config_from


class ChangeIntensityAlgorithm(MssfcAlgorithm):
    """CI = a N(T_spectral) + (1 - a) N(T_texture)."""

    NAME = "changeintensity"
    DISPLAY = "Change intensity (ISFA spectral + texture)"
    GROUP = "unsupervised"
    HELP = (
        "Step 1 of the unsupervised newly-built method: how much each pixel changed between T1 "
        "and T2. Spectral change is Iterative Slow Feature Analysis (ISFA): each band is "
        "standardized per date, the generalized eigenproblem A w = lambda B w gives slow "
        "features, and T = sum SFA_j^2 / sigma_j^2 (chi-square for unchanged pixels) is "
        "re-weighted until the eigenvalues settle; it ignores linear radiometric differences "
        "(illumination, season). Texture change compares GLCM statistics (contrast, homogeneity, "
        "ASM, entropy, variance) of the brightness in a TEXTURE_WINDOW x TEXTURE_WINDOW window, "
        "8 grey levels over the 1-99 percentile range of both dates (each date its own range when "
        "their spreads differ more than 4 times: another bit depth or sensor; ours): by "
        "default the norm of their standardized T2 - T1 difference (ours; TEXTURE_CHANGE can "
        "select ISFA over the statistics instead: the five statistics are strongly correlated, "
        "and ISFA then weights their least-changing, noisiest combinations most). "
        "CI = a N(T_spec) + (1 - a) N(T_tex) (the seed's Eq. 7, rebuilt; a = CI_WEIGHT, 0.5, ours), "
        "N a 1-99 percentile stretch to [0, 1]. ISFA and the stretches are fitted once on a sample "
        "of the whole image, then applied tile by tile.\n\nT2 is aligned onto T1's grid when they "
        "differ (common area only). Both dates must give the same number of bands (BANDS_T1 and "
        "BANDS_T2, default all); ISFA uses them all, the texture the maximum of the VISIBLE_BANDS "
        "(T2 band numbers; default: the bands tagged red, green, blue, else bands 1-3 of a "
        "4-band image (R, G, B, NIR or B, G, R, NIR), else all: a near-infrared band would make "
        "vegetation look bright). Outputs: OUTPUT (CI, float32 0-1), optional OUTPUT_COMPONENTS "
        "(the spectral ISFA components, one band each)." + SOURCE_NOTE
    )

    INPUT_T1 = "INPUT_T1"
    INPUT_T2 = "INPUT_T2"
    BANDS_T1 = "BANDS_T1"
    BANDS_T2 = "BANDS_T2"
    VISIBLE_BANDS = "VISIBLE_BANDS"
    OUTPUT = "OUTPUT"
    OUTPUT_COMPONENTS = "OUTPUT_COMPONENTS"

    def define(self, config: dict[str, Any]) -> None:  # noqa: D102
        self.addParameter(
            QgsProcessingParameterRasterLayer(self.INPUT_T1, self.tr("Image T1 (before)"))
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(self.INPUT_T2, self.tr("Image T2 (after)"))
        )
        self.add_bands(self.BANDS_T1, self.INPUT_T1, "T1 bands (default: all)")
        self.add_bands(self.BANDS_T2, self.INPUT_T2, "T2 bands (default: all)")
        self.add_bands(
            self.VISIBLE_BANDS,
            self.INPUT_T2,
            "Visible bands for the texture's brightness (default: automatic)",
        )
        add_params(self, ("CI_WEIGHT", "TEXTURE_CHANGE", "TEXTURE_WINDOW"))
        self.addParameter(
            QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("Change intensity"))
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.OUTPUT_COMPONENTS,
                self.tr("ISFA components"),
                optional=True,
                createByDefault=False,
            )
        )

    def execute(  # noqa: D102
        self, parameters: dict[str, Any], context: QgsProcessingContext, progress: FeedbackProgress
    ) -> dict[str, Any]:
        from ..core.newlybuilt import change_intensity_stage

        out = self.required_output(parameters, self.OUTPUT, context)
        comps = self.output_path(parameters, self.OUTPUT_COMPONENTS, context)
        written = change_intensity_stage(
            self.raster_source(parameters, self.INPUT_T1, context),
            self.raster_source(parameters, self.INPUT_T2, context),
            out,
            out_components=comps,
            bands_t1=self.bands(parameters.get(self.BANDS_T1)),
            bands_t2=self.bands(parameters.get(self.BANDS_T2)),
            visible_bands=self.bands(parameters.get(self.VISIBLE_BANDS)),
            cfg=config_from(self, parameters, context),
            workers=compute_workers(),
            progress=progress,
        )
        self.style(context, out, "probability")
        return {self.OUTPUT: written["ci"], self.OUTPUT_COMPONENTS: written.get("components")}
