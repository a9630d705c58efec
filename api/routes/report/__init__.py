"""The report: versions and downloads, sign-off, and the working group's text.

Rendering never runs here: a change of text records the intent and the flow renders the new
version. Only the organization's own accounts see anything (another organization's cycle is a
404); the mayor's office reads and downloads approved or signed versions only.
"""

from fastapi import APIRouter

from api.routes.report import signoff, text, versions

router = APIRouter()
# In the order the routes were declared before the split (versions, sign-off, text).
for module in (versions, signoff, text):
    router.include_router(module.router)
