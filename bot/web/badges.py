"""SVG badges (shields-style): a label on the left, a value on the right. Text is XML-escaped."""

from __future__ import annotations

from xml.sax.saxutils import escape

CHAR_WIDTH = 6.5  # Verdana 11px, close enough for badge sizing
PADDING = 10


def _width(text: str) -> int:
    return int(len(text) * CHAR_WIDTH + 2 * PADDING)


def badge(label: str, value: str, colour: str = "#4c1") -> str:
    label, value = label[:60], value[:60]
    left, right = _width(label), _width(value)
    total = left + right
    safe_label, safe_value = escape(label), escape(value)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{escape(label, {chr(34): "&quot;"})}: {escape(value, {chr(34): "&quot;"})}">'
        f"<title>{safe_label}: {safe_value}</title>"
        f'<rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="14">{safe_label}</text>'
        f'<text x="{left + right / 2}" y="14">{safe_value}</text>'
        "</g></svg>"
    )
