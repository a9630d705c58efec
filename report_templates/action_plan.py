"""The action plan as an annex to print and publish (seed 002's layout: task, deadline, key
performance indicator, responsible), rendered with WeasyPrint through the confined fetcher."""

from collections.abc import Mapping
from typing import Any

from weasyprint import HTML

from report_templates.environment import TEMPLATES_DIR, TemplateOnlyURLFetcher, environment

PLAN_TEMPLATE = "action_plan.html.j2"


def render_action_plan(context: Mapping[str, Any]) -> bytes:
    """The plan's PDF (models.services.action_plan.annex_context)."""
    html = environment().get_template(PLAN_TEMPLATE).render(**context)
    pdf = HTML(
        string=html, base_url=str(TEMPLATES_DIR), url_fetcher=TemplateOnlyURLFetcher()
    ).write_pdf()
    if pdf is None:
        raise RuntimeError("WeasyPrint returned no PDF bytes")
    return pdf
