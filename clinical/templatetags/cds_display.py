"""A card's `detail` is GitHub-flavoured markdown: we show a safe subset (bold, code, line
breaks) and escape everything else."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

BOLD = re.compile(r"\*\*(.+?)\*\*")
CODE = re.compile(r"`([^`]+)`")


@register.filter
def card_markdown(text: str) -> SafeString:
    html = escape(str(text or ""))
    html = BOLD.sub(r"<strong>\1</strong>", html)
    html = CODE.sub(r"<code>\1</code>", html)
    return mark_safe(html.replace("\n", "<br>"))
