"""Map: a metric by country as a world choropleth, from a ``breakdown`` grouped by
country.

The world shapes are served by the app itself
(``assets/topojson/world_110m.json``, see the README there): the graph's
``topojsonURL`` points there, never at Plotly's CDN, so maps draw on an offline kiosk
and in PDF reports. Countries are matched by ISO 3166
alpha-3 code; the data may give alpha-2 or alpha-3 codes.

Clicking a country sets the graph's ``clickData``: ``points[0].location`` is the
alpha-3 code and ``points[0].customdata`` is ``[alpha-2, name, formatted value]``,
for a drill-down callback to filter on.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import pandas as pd
import plotly.graph_objects as go
from babel import Locale
from dash import dcc, html
from pydantic import BaseModel, ConfigDict, Field, model_validator

from widgets import _theme as theme
from widgets._base import RenderContext, WidgetBase
from widgets._formatting import NO_DATA, format_value, plotly_number_parts
from widgets._registry import register

# Where the app serves assets/topojson/ (Dash's assets route); plotly.js fetches
# "<topojsonURL>world_110m.json" for a world map at resolution 110.
TOPOJSON_URL = "/assets/topojson/"
TOPOJSON_DIR = Path(__file__).resolve().parent.parent / "assets" / "topojson"
# The part of the world a map shows: (longitude range, latitude range) on the world
# shapes. Ranges rather than Plotly's continent scopes, which would each need their own
# shapes file and frame the continent less tightly. "world" leaves out Antarctica (no
# ad market), which would take a fifth of the widget.
REGIONS: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "world": ((-180, 180), (-58, 84)),
    "europe": ((-25, 45), (34, 71)),
    "north america": ((-170, -50), (8, 75)),
    "south america": ((-92, -32), (-56, 14)),
    "asia": ((25, 150), (-11, 60)),
    "africa": ((-20, 55), (-36, 38)),
}
Region = Literal["world", "europe", "north america", "south america", "asia", "africa"]
GRAPH_CONFIG = {
    "displayModeBar": False,
    "responsive": True,
    "topojsonURL": TOPOJSON_URL,
}

# ISO 3166-1 alpha-2 -> alpha-3 for all 249 officially assigned codes (from the CLDR
# territory aliases shipped with Babel, current codes only).
ISO2_TO_ISO3 = {
    "AD": "AND",
    "AE": "ARE",
    "AF": "AFG",
    "AG": "ATG",
    "AI": "AIA",
    "AL": "ALB",
    "AM": "ARM",
    "AO": "AGO",
    "AQ": "ATA",
    "AR": "ARG",
    "AS": "ASM",
    "AT": "AUT",
    "AU": "AUS",
    "AW": "ABW",
    "AX": "ALA",
    "AZ": "AZE",
    "BA": "BIH",
    "BB": "BRB",
    "BD": "BGD",
    "BE": "BEL",
    "BF": "BFA",
    "BG": "BGR",
    "BH": "BHR",
    "BI": "BDI",
    "BJ": "BEN",
    "BL": "BLM",
    "BM": "BMU",
    "BN": "BRN",
    "BO": "BOL",
    "BQ": "BES",
    "BR": "BRA",
    "BS": "BHS",
    "BT": "BTN",
    "BV": "BVT",
    "BW": "BWA",
    "BY": "BLR",
    "BZ": "BLZ",
    "CA": "CAN",
    "CC": "CCK",
    "CD": "COD",
    "CF": "CAF",
    "CG": "COG",
    "CH": "CHE",
    "CI": "CIV",
    "CK": "COK",
    "CL": "CHL",
    "CM": "CMR",
    "CN": "CHN",
    "CO": "COL",
    "CR": "CRI",
    "CU": "CUB",
    "CV": "CPV",
    "CW": "CUW",
    "CX": "CXR",
    "CY": "CYP",
    "CZ": "CZE",
    "DE": "DEU",
    "DJ": "DJI",
    "DK": "DNK",
    "DM": "DMA",
    "DO": "DOM",
    "DZ": "DZA",
    "EC": "ECU",
    "EE": "EST",
    "EG": "EGY",
    "EH": "ESH",
    "ER": "ERI",
    "ES": "ESP",
    "ET": "ETH",
    "FI": "FIN",
    "FJ": "FJI",
    "FK": "FLK",
    "FM": "FSM",
    "FO": "FRO",
    "FR": "FRA",
    "GA": "GAB",
    "GB": "GBR",
    "GD": "GRD",
    "GE": "GEO",
    "GF": "GUF",
    "GG": "GGY",
    "GH": "GHA",
    "GI": "GIB",
    "GL": "GRL",
    "GM": "GMB",
    "GN": "GIN",
    "GP": "GLP",
    "GQ": "GNQ",
    "GR": "GRC",
    "GS": "SGS",
    "GT": "GTM",
    "GU": "GUM",
    "GW": "GNB",
    "GY": "GUY",
    "HK": "HKG",
    "HM": "HMD",
    "HN": "HND",
    "HR": "HRV",
    "HT": "HTI",
    "HU": "HUN",
    "ID": "IDN",
    "IE": "IRL",
    "IL": "ISR",
    "IM": "IMN",
    "IN": "IND",
    "IO": "IOT",
    "IQ": "IRQ",
    "IR": "IRN",
    "IS": "ISL",
    "IT": "ITA",
    "JE": "JEY",
    "JM": "JAM",
    "JO": "JOR",
    "JP": "JPN",
    "KE": "KEN",
    "KG": "KGZ",
    "KH": "KHM",
    "KI": "KIR",
    "KM": "COM",
    "KN": "KNA",
    "KP": "PRK",
    "KR": "KOR",
    "KW": "KWT",
    "KY": "CYM",
    "KZ": "KAZ",
    "LA": "LAO",
    "LB": "LBN",
    "LC": "LCA",
    "LI": "LIE",
    "LK": "LKA",
    "LR": "LBR",
    "LS": "LSO",
    "LT": "LTU",
    "LU": "LUX",
    "LV": "LVA",
    "LY": "LBY",
    "MA": "MAR",
    "MC": "MCO",
    "MD": "MDA",
    "ME": "MNE",
    "MF": "MAF",
    "MG": "MDG",
    "MH": "MHL",
    "MK": "MKD",
    "ML": "MLI",
    "MM": "MMR",
    "MN": "MNG",
    "MO": "MAC",
    "MP": "MNP",
    "MQ": "MTQ",
    "MR": "MRT",
    "MS": "MSR",
    "MT": "MLT",
    "MU": "MUS",
    "MV": "MDV",
    "MW": "MWI",
    "MX": "MEX",
    "MY": "MYS",
    "MZ": "MOZ",
    "NA": "NAM",
    "NC": "NCL",
    "NE": "NER",
    "NF": "NFK",
    "NG": "NGA",
    "NI": "NIC",
    "NL": "NLD",
    "NO": "NOR",
    "NP": "NPL",
    "NR": "NRU",
    "NU": "NIU",
    "NZ": "NZL",
    "OM": "OMN",
    "PA": "PAN",
    "PE": "PER",
    "PF": "PYF",
    "PG": "PNG",
    "PH": "PHL",
    "PK": "PAK",
    "PL": "POL",
    "PM": "SPM",
    "PN": "PCN",
    "PR": "PRI",
    "PS": "PSE",
    "PT": "PRT",
    "PW": "PLW",
    "PY": "PRY",
    "QA": "QAT",
    "RE": "REU",
    "RO": "ROU",
    "RS": "SRB",
    "RU": "RUS",
    "RW": "RWA",
    "SA": "SAU",
    "SB": "SLB",
    "SC": "SYC",
    "SD": "SDN",
    "SE": "SWE",
    "SG": "SGP",
    "SH": "SHN",
    "SI": "SVN",
    "SJ": "SJM",
    "SK": "SVK",
    "SL": "SLE",
    "SM": "SMR",
    "SN": "SEN",
    "SO": "SOM",
    "SR": "SUR",
    "SS": "SSD",
    "ST": "STP",
    "SV": "SLV",
    "SX": "SXM",
    "SY": "SYR",
    "SZ": "SWZ",
    "TC": "TCA",
    "TD": "TCD",
    "TF": "ATF",
    "TG": "TGO",
    "TH": "THA",
    "TJ": "TJK",
    "TK": "TKL",
    "TL": "TLS",
    "TM": "TKM",
    "TN": "TUN",
    "TO": "TON",
    "TR": "TUR",
    "TT": "TTO",
    "TV": "TUV",
    "TW": "TWN",
    "TZ": "TZA",
    "UA": "UKR",
    "UG": "UGA",
    "UM": "UMI",
    "US": "USA",
    "UY": "URY",
    "UZ": "UZB",
    "VA": "VAT",
    "VC": "VCT",
    "VE": "VEN",
    "VG": "VGB",
    "VI": "VIR",
    "VN": "VNM",
    "VU": "VUT",
    "WF": "WLF",
    "WS": "WSM",
    "YE": "YEM",
    "YT": "MYT",
    "ZA": "ZAF",
    "ZM": "ZMB",
    "ZW": "ZWE",
}
ISO3_TO_ISO2 = {iso3: iso2 for iso2, iso3 in ISO2_TO_ISO3.items()}


class MapConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["currency", "percent", "number", "ratio"] | None = None
    region: Region = "world"
    show_scale: bool = True
    # Reverse the colours for metrics where low is good (CPA, CPC).
    reverse_scale: bool = False


class MapChartSpec(WidgetBase):
    type: Literal["map_chart"] = "map_chart"
    config: MapConfig = Field(default_factory=MapConfig)

    @model_validator(mode="after")
    def _countries(self) -> MapChartSpec:
        if self.data_source != "campaigns":
            return self
        view = self.query_params.get("view", "breakdown")
        group_by = self.query_params.get("group_by", "country")
        if view != "breakdown" or group_by != "country":
            raise ValueError(
                f"query_params: a map shows a 'breakdown' grouped by 'country', "
                f"not view {view!r} grouped by {group_by!r}"
            )
        return self


def local_topojson_uri() -> str:
    """The shapes folder as a ``file://`` URL, for kaleido exports (PDF reports):
    ``plotly.io.defaults.topojson = local_topojson_uri()`` keeps them off the CDN."""
    return TOPOJSON_DIR.as_uri() + "/"


def to_iso3(code: object) -> str | None:
    """An ISO 3166 alpha-3 code from an alpha-2 or alpha-3 one (any case); ``None`` for
    anything else, so an unknown code is left off the map rather than misplaced."""
    text = str(code or "").strip().upper()
    if len(text) == 2:
        return ISO2_TO_ISO3.get(text)
    return text if text in ISO3_TO_ISO2 else None


@cache
def _territory_names() -> dict[str, str]:
    return dict(Locale("en").territories)


def country_name(iso3: str) -> str:
    """The English short name of a country ("Germany" for DEU), else the code."""
    return _territory_names().get(ISO3_TO_ISO2.get(iso3, ""), iso3)


def country_frame(data: dict) -> pd.DataFrame:
    """A country ``breakdown`` as columns ``iso3``, ``iso2``, ``name``, ``value``
    (NaN: no value); items whose code is not a country are dropped."""
    rows = []
    for item in data.get("items", []):
        iso3 = to_iso3(item.get("key"))
        if iso3 is not None:
            rows.append(
                {
                    "iso3": iso3,
                    "iso2": ISO3_TO_ISO2[iso3],
                    "name": country_name(iso3),
                    "value": item.get("value"),
                }
            )
    frame = pd.DataFrame(rows, columns=["iso3", "iso2", "name", "value"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame


def make_figure(
    df: pd.DataFrame,
    *,
    fmt: str = "number",
    currency: str = "USD",
    region: str = "world",
    show_scale: bool = True,
    reverse_scale: bool = False,
    template: str = theme.LIGHT,
) -> go.Figure:
    """A world choropleth of ``value`` by country.

    Countries without a value are not coloured (they keep the land colour), never
    painted as zero.

    Args:
        df: columns ``iso3``, ``iso2``, ``name``, ``value`` (see :func:`country_frame`).
        fmt: value format for the hover and the colour bar.
        currency: ISO code of the org's currency.
        region: ``world`` or a continent (``europe``, ``north america``...), see
            :data:`REGIONS`.
        show_scale: draw the colour bar.
        reverse_scale: darkest for the lowest value.
        template: Plotly template name.
    """
    shown = df[df["value"].notna()]
    max_abs = float(shown["value"].abs().max()) if not shown.empty else None
    prefix, tick_format, suffix = plotly_number_parts(fmt, currency, max_abs=max_abs)
    dark = template == theme.DARK
    longitudes, latitudes = REGIONS[region]
    figure = go.Figure(
        go.Choropleth(
            locations=shown["iso3"],
            z=shown["value"],
            locationmode="ISO-3",
            colorscale=theme.sequential_scale(template),
            reversescale=reverse_scale,
            marker=dict(line=dict(color=theme.background_color(template), width=0.5)),
            customdata=list(
                zip(
                    shown["iso2"],
                    shown["name"],
                    [format_value(v, fmt, currency) for v in shown["value"]],
                    strict=True,
                )
            ),
            hovertemplate="<b>%{customdata[1]}</b><br>%{customdata[2]}<extra></extra>",
            showscale=show_scale,
            colorbar=dict(
                tickformat=tick_format,
                tickprefix=prefix,
                ticksuffix=suffix,
                thickness=10,
                outlinewidth=0,
                len=0.8,
            ),
        )
    )
    figure.update_geos(
        scope="world",
        resolution=110,
        projection_type="natural earth",
        showframe=False,
        showcoastlines=False,
        showocean=False,
        showlakes=False,
        showland=True,
        landcolor="#1f2937" if dark else "#f3f4f6",
        showcountries=True,
        countrycolor="#374151" if dark else "#d1d5db",
        countrywidth=0.5,
        bgcolor="rgba(0,0,0,0)",
        lonaxis_range=list(longitudes),
        lataxis_range=list(latitudes),
    )
    figure.update_layout(
        template=template, hovermode="closest", margin=dict(l=0, r=0, t=0, b=0)
    )
    return figure


def spec_figure(spec: MapChartSpec, data: dict, ctx: RenderContext) -> go.Figure | None:
    """The figure :func:`build` shows (also exported into reports), or ``None`` when
    there is no data to draw."""
    frame = country_frame(data)
    if frame["value"].isna().all():
        return None
    return make_figure(
        frame,
        fmt=spec.config.format or data.get("format", "number"),
        currency=data.get("currency", ctx.currency),
        region=spec.config.region,
        show_scale=spec.config.show_scale,
        reverse_scale=spec.config.reverse_scale,
        template=theme.template_name(ctx.theme),
    )


@register(
    MapChartSpec,
    default_params={"view": "breakdown", "group_by": "country", "limit": 500},
    figure=spec_figure,
)
def build(spec: MapChartSpec, data: dict, ctx: RenderContext) -> dcc.Graph | html.Div:
    """Render a country ``breakdown`` as a world map; clicks expose the country."""
    figure = spec_figure(spec, data, ctx)
    if figure is None:
        return html.Div(NO_DATA, className="widget-empty")
    return dcc.Graph(
        figure=figure,
        config=GRAPH_CONFIG,
        className="widget-graph",
        style={"height": "100%"},
        id={"type": "widget-graph", "index": ctx.widget_id},
    )
