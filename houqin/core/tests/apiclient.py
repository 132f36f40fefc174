"""Test helper: a Django test client speaking JSON to /api/v1/ as one user, with a bearer token."""

import json

from houqin.accounts.tokens import create_token

BASE = "/api/v1"


def bearer(user) -> dict:
    _token, key = create_token(user, name="tests", by=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


class Api:
    def __init__(self, client, user=None, *, language: str = "en", headers: dict | None = None):
        self.client = client
        self.headers = {
            "HTTP_ACCEPT_LANGUAGE": language,
            **(bearer(user) if user is not None else {}),
            **(headers or {}),
        }

    def _send(self, method: str, path: str, body=None, raw: str | bytes | None = None, **headers):
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return getattr(self.client, method)(
            BASE + path, data, content_type="application/json", **{**self.headers, **headers}
        )

    def get(self, path: str, params=None, **headers):
        return self.client.get(BASE + path, params or {}, **{**self.headers, **headers})

    def post(self, path: str, body=None, **kwargs):
        return self._send("post", path, body, **kwargs)

    def put(self, path: str, body=None, **kwargs):
        return self._send("put", path, body, **kwargs)

    def patch(self, path: str, body=None, **kwargs):
        return self._send("patch", path, body, **kwargs)

    def delete(self, path: str, **headers):
        return self.client.delete(BASE + path, **{**self.headers, **headers})


def api_as(client, user, *, language: str = "en") -> Api:
    return Api(client, user, language=language)
