"""Permanent short codes printed as QR labels: <public base URL>/q/<label code>.

A label code is given once, never reused and never changed by a rename or a move, so a label
glued to a wall keeps working. Apps register the models that carry one (locations here;
equipment later), and /q/ looks the code up across them."""

import secrets

from django.conf import settings

# Unambiguous when read aloud or typed from a damaged label: no 0/O, 1/I/L.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

_targets: list = []


def register_label_target(model) -> None:
    if model not in _targets:
        _targets.append(model)


def label_targets() -> list:
    return list(_targets)


def new_label_code(prefix: str, length: int = 6) -> str:
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(length))


def label_url(label_code: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/q/{label_code}"


def find_label_target(label_code: str):
    code = (label_code or "").strip().upper()
    for model in _targets:
        obj = model._default_manager.filter(label_code=code).first()
        if obj is not None:
            return obj
    return None
