"""The action plan as an annex to print and publish (seed 002's layout: task, deadline, key
performance indicator, responsible), rendered with WeasyPrint through the confined fetcher."""

from collections.abc import Mapping
from typing import Any

from report_templates.environment import render_pdf

PLAN_TEMPLATE = "action_plan.html.j2"


def render_action_plan(context: Mapping[str, Any]) -> bytes:
    """The plan's PDF (models.services.action_plan.annex_context)."""
    return render_pdf(PLAN_TEMPLATE, context)
