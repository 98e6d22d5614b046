"""Code 128 barcodes drawn as SVG, for labels and papers (python-barcode).

``svg_data_uri`` gives an ``<img src>`` that needs no route and no inline style in the page
(the CSP allows ``img-src 'self' data:``), prints as crisply as the page does.
"""

from __future__ import annotations

import base64
import io

import barcode as barcode_lib
from barcode.writer import SVGWriter


def svg(data: str, *, module_height: float = 10.0) -> bytes:
    """The Code 128 barcode of ``data`` as an SVG document (no human-readable text: the
    label prints the text itself, laid out as ISBT 128 asks)."""
    out = io.BytesIO()
    code = barcode_lib.get("code128", data, writer=SVGWriter())
    code.write(
        out, options={"write_text": False, "module_height": module_height, "quiet_zone": 2.0}
    )
    return out.getvalue()


def svg_data_uri(data: str, *, module_height: float = 10.0) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(
        svg(data, module_height=module_height)
    ).decode("ascii")
