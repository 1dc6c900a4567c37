"""`{% live_topic "chart:123" %}`: the attributes that make an element live (static/js/live.js):
it gets `wintehr:changed` when something of the topic changes. The topic's sequence at render time
goes along, so a change committed between this render and the socket's subscription is not missed
(the topic is marked watched from now on)."""

from django import template
from django.utils.html import format_html

from clinical.realtime.log import topic_log
from clinical.realtime.topics import topic_parse

register = template.Library()


@register.simple_tag
def live_topic(topic: str) -> str:
    if topic_parse(topic) is None:
        raise template.TemplateSyntaxError(f"live_topic: {topic!r} is not a live topic")
    seq = topic_log().watch([topic])[topic]
    return format_html(' data-live-topic="{}" data-live-since="{}"', topic, seq)
