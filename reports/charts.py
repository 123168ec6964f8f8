"""Server-rendered SVG charts (pygal), safe to put inline in a page.

pygal always writes a <script> with its tooltip config into the SVG; the CSP
forbids inline scripts (and the charts need none), so the rendered tree is
stripped of every script element and event attribute before it is
serialised.  Without width/height the SVG scales to its container: the same
chart reads on a laptop and a phone."""
from __future__ import annotations

from xml.etree import ElementTree

import pygal
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

SVG_NS = "http://www.w3.org/2000/svg"

STYLE = Style(
    background="transparent", plot_background="transparent", foreground="#333", foreground_strong="#111",
    foreground_subtle="#ddd", opacity=".9", opacity_hover="1", colors=("#c0392b", "#7f8c8d", "#2c7be5", "#27ae60"),
    font_family="system-ui, -apple-system, 'PingFang SC', 'Microsoft YaHei', sans-serif",
    label_font_size=13, major_label_font_size=13, legend_font_size=14, title_font_size=16, value_font_size=12,
)


def _clean(chart) -> SafeString:
    tree = chart.render_tree()
    for parent in list(tree.iter()):
        for child in list(parent):
            if child.tag in ("script", f"{{{SVG_NS}}}script"):
                parent.remove(child)
    for element in tree.iter():
        for name in [a for a in element.attrib if a.lower().startswith("on")]:
            del element.attrib[name]
    svg = ElementTree.tostring(tree, encoding="unicode") if not hasattr(tree, "getroottree") else \
        _lxml_tostring(tree)
    return mark_safe(svg)


def _lxml_tostring(tree) -> str:
    from lxml import etree

    return etree.tostring(tree, encoding="unicode")


def _base(cls, title: str, **options):
    options = {"width": 900, "height": 420, **options}
    return cls(style=STYLE, title=title, js=[], disable_xml_declaration=True, show_dots=False,
               legend_at_bottom=True, legend_at_bottom_columns=2, truncate_legend=-1, truncate_label=-1, margin=12, **options)


def collection_curve_svg(curve, *, title: str, current_label: str, previous_label: str,
                         compact: bool = False) -> SafeString:
    """Collection rate (%) through the season; last season's line at the same point of its season.
    `compact`: drawn for a phone's width, so its text is not scaled down to nothing."""
    size = {"width": 420, "height": 360, "margin_bottom": 24} if compact else {"margin_bottom": 24}
    chart = _base(pygal.Line, title, range=(0, 100), y_labels=[0, 20, 40, 60, 80, 100], x_label_rotation=0,
                  show_minor_x_labels=False, x_labels_major_every=max(1, len(curve.days) // (3 if compact else 7)),
                  value_formatter=lambda v: f"{v:.0f}%", fill=False, stroke_style={"width": 3}, **size)
    chart.x_labels = [d.strftime("%m-%d") for d in curve.days]
    chart.add(current_label, [None if v is None else round(v * 100, 2) for v in curve.current])
    if curve.previous:
        chart.add(previous_label, [None if v is None else round(v * 100, 2) for v in curve.before],
                  stroke_style={"width": 2, "dasharray": "6, 4"})
    return _clean(chart)
