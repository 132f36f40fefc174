"""The public REST API, /api/v1/ (contract: docs/api.md). Each app contributes a router."""

from houqin.core.api import build_api

api = build_api()
