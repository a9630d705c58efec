"""The demo's calls to its own HTTP API: an unexpected status ends the demo, saying which call."""

from typing import Any

import httpx


def checked(response: httpx.Response, expected: int = 200) -> Any:
    """The JSON body (or the response itself) when the status is the expected one."""
    if response.status_code != expected:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:500]}"
        )
    return (
        response.json()
        if response.headers.get("content-type", "").startswith("application/json")
        else response
    )
