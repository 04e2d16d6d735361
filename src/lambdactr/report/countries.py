"""Country names for the ISO 3166-1 alpha-2 codes the Lambda stores, from pycountry's ISO data."""

from __future__ import annotations

from functools import cache

import pycountry

# Codes in use that ISO 3166-1 does not (yet) assign, as CloudFront and IP databases send them.
_USER_ASSIGNED = {"XK": "Kosovo", "EU": "European Union", "AP": "Asia/Pacific Region"}


@cache
def country_name(code: str) -> str:
    """The short English name ("Taiwan" rather than "Taiwan, Province of China"), else the code."""
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return _USER_ASSIGNED.get(code.upper(), code)
    name: str = getattr(country, "common_name", None) or country.name
    return name
