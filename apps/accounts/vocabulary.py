"""The words of the accounts' evidence that other apps show: the kinds of a link between
two accounts, and how a graph labels an identifier. apps.accounts.models builds on them."""

from django.db import models


class LinkKind(models.TextChoices):
    IP = "ip", "Shared IP"
    DEVICE = "device", "Shared device"
    ADDRESS = "address", "Shared funding address"
    TRANSFER = "transfer", "Internal transfer"
    TRADES_WITH = "trades_with", "Trades with each other"
    COUNTERPARTY = "counterparty", "Same counterparty"
    LOCKSTEP = "lockstep", "Trades in lockstep"


SHORT_KINDS = {
    "ip": "IP",
    "device": "device",
    "address": "wallet",
    "transfer": "transfer",
    "trades_with": "trades-with",
    "counterparty": "counterparty",
    "lockstep": "lockstep",
}


def shorten(value: str) -> str:
    """An identifier short enough for a graph label: its head and tail."""
    return value if len(value) <= 14 else f"{value[:8]}…{value[-4:]}"
