"""The JSON API (django-ninja): editions and their results, league tables, enterprises
and their returns, the indicator catalogue and the methodologies; OpenAPI at /api/docs.

Machine clients authenticate with ``Authorization: Bearer <token>`` (:class:`ApiToken`,
made by ``rasad manage create_api_token``); the browser with its session (CSRF checked
on writes); public routes also answer anonymous requests. What a caller sees is decided
by the scoped querysets of DESIGN §5, as in the web pages. See docs/api.md.
"""
