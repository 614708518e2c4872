"""The measurement plan: a tracking code and a UTM link per tier and platform (tier plans) or per
chosen creator (roster plans), so a campaign's results join back to the plan.

Codes are deterministic: the campaign slug (from the scenario's name) and the cell
(``SKINCARE-LAUNCH-NANO-TIKTOK``), or, for a named creator, the slug and a short hash of the
creator's id and platform (``SKINCARE-LAUNCH-7Q4K2M``: the same creator gets the same code in
every re-plan of the brief). The link is a template: ``{landing_page}`` is the page the
planner sends people to; ``utm_source`` is the platform, ``utm_medium`` ``influencer``,
``utm_campaign`` the slug and ``utm_content`` the code. Discount codes and UTM content are the
columns a results table is matched on (``mixopt review``).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pandas as pd

__all__ = ["TRACKING_COLUMNS", "campaign_slug", "tracking_frame", "tracking_csv"]

TRACKING_COLUMNS = ("tracking_code", "tier", "platform", "creator_id", "creators", "posts", "utm_link")
_LINK = "{landing_page}?utm_source=%s&utm_medium=influencer&utm_campaign=%s&utm_content=%s"


def campaign_slug(name: str) -> str:
    """Upper-case letters and digits of the scenario's name, joined by '-' (at most 32 characters)."""
    words = re.findall(r"[A-Za-z0-9]+", name.upper())
    return "-".join(words)[:32].strip("-") or "CAMPAIGN"


def _creator_code(slug: str, creator: str, platform: str) -> str:
    digest = hashlib.sha256(f"{creator}\x00{platform}".encode()).digest()
    return f"{slug}-{base64.b32encode(digest).decode()[:6]}"


def tracking_frame(plan: Any) -> pd.DataFrame:
    """One row per used tier and platform (tier plan) or chosen creator (roster plan), in plan order."""
    slug = campaign_slug(plan.scenario.name)
    rows = []
    if getattr(plan, "mode", "tier") == "roster":
        for r in plan.selected.itertuples(index=False):
            code = _creator_code(slug, str(r.id), str(r.platform))
            rows.append((code, r.tier, r.platform, str(r.id), 1, int(r.posts),
                         _LINK % (r.platform, slug.lower(), code.lower())))
    else:
        for r in plan.allocation.itertuples(index=False):
            if int(r.creators) <= 0:
                continue
            code = f"{slug}-{r.tier}-{r.platform}".upper()
            rows.append((code, r.tier, r.platform, "", int(r.creators), int(r.posts),
                         _LINK % (r.platform, slug.lower(), code.lower())))
    return pd.DataFrame(rows, columns=list(TRACKING_COLUMNS))


def tracking_csv(plan: Any) -> str:
    """tracking.csv: the measurement plan (text cells neutralised like every CSV)."""
    from mixopt.outputs.cells import frame_csv

    return frame_csv(tracking_frame(plan), counts=("creators", "posts"))
