"""The API object: its routers, its errors, its docs (Swagger UI served by the app itself)."""

from __future__ import annotations

import json

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger
from ninja.renderers import JSONRenderer

from rasad.platform.api import errors
from rasad.platform.api.auth import ANYONE
from rasad.platform.api.routers import catalogue, editions, enterprises


class Utf8JSONRenderer(JSONRenderer):
    """Persian as Persian in the JSON, not \\u escapes."""

    def render(self, request, data, *, response_status):
        return json.dumps(data, cls=self.encoder_class, ensure_ascii=False, allow_nan=False)


DESCRIPTION = """\
Rasad's JSON API: ranking editions and their results, IMI-style league tables, enterprises
and their returns, the indicator catalogue and the methodologies. Names come in Persian
(`*_fa`) and English (`*_en`); errors carry `message_fa` and `message_en`.

**Who sees what** (DESIGN §5): published editions, their results and league-table ranks are
public; confidential figures (returns, league-table values, registry details) only for your
own enterprise, your estates, or all for analysts and administrators. Drafts are for
analysts and administrators only.

**Authentication**: machine clients send `Authorization: Bearer <token>` (an administrator
makes one with `rasad manage create_api_token USERNAME --name NAME`); the browser uses its
session, and writes need the `X-CSRFToken` header. Public routes need neither.

Lists are paged with `limit` (at most 500) and `offset`, and answer `{items, count}`.
"""

api = NinjaAPI(
    title="Rasad API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    renderer=Utf8JSONRenderer(),
    auth=ANYONE,  # each router says again; here it tells the docs page to send the CSRF token
)
errors.install(api)
api.add_router("", catalogue.router)
api.add_router("", editions.router)
api.add_router("", enterprises.router)
