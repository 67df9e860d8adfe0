"""What `qrpay serve` needs beyond the CLI's settings: names on the page, proxy trust, limits.

Each worker of a multi-worker server builds its app from the environment, so every setting
here has an environment variable, and :meth:`ServeSettings.environ` writes them back out.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field

from qrpay import InputError, Settings

DEFAULT_PLATFORM = "杭州市统一公共支付平台"
DEFAULT_PAYEE = "杭州市财政局"
DEFAULT_CONTACT = "12345 政务服务便民热线"
DEFAULT_API_RATE = 120  # requests per minute per client address; 0 turns the limit off


@dataclass(frozen=True)
class ServeSettings:
    settings: Settings
    platform: str = DEFAULT_PLATFORM  # the platform's name, shown on every page
    payee: str = DEFAULT_PAYEE  # 收款单位: whose account the money reaches
    contact: str = DEFAULT_CONTACT  # whom a payer tells about a forged code
    trusted_proxies: tuple[str, ...] = field(default_factory=tuple)  # only these may set X-Forwarded-*
    api_rate: int = DEFAULT_API_RATE

    @classmethod
    def load(
        cls,
        settings: Settings | None = None,
        *,
        trusted_proxies: str | None = None,
        api_rate: int | None = None,
    ) -> ServeSettings:
        """Settings from arguments, then ``QRPAY_SERVE_*`` / ``QRPAY_TRUSTED_PROXIES`` / ``QRPAY_API_RATE``."""
        env = os.environ
        proxies = trusted_proxies if trusted_proxies is not None else env.get("QRPAY_TRUSTED_PROXIES", "")
        rate = api_rate if api_rate is not None else _integer("QRPAY_API_RATE", env.get("QRPAY_API_RATE"))
        if rate is not None and rate < 0:
            raise InputError(f"the API rate limit must be 0 (off) or more requests per minute, got {rate}")
        return cls(
            settings=settings or Settings.load(),
            platform=env.get("QRPAY_SERVE_PLATFORM") or DEFAULT_PLATFORM,
            payee=env.get("QRPAY_SERVE_PAYEE") or DEFAULT_PAYEE,
            contact=env.get("QRPAY_SERVE_CONTACT") or DEFAULT_CONTACT,
            trusted_proxies=proxies_from(proxies),
            api_rate=DEFAULT_API_RATE if rate is None else rate,
        )

    def environ(self) -> dict[str, str]:
        """The environment that makes :meth:`load` in a worker give back these settings."""
        return {
            **self.settings.environ(),
            "QRPAY_SERVE_PLATFORM": self.platform,
            "QRPAY_SERVE_PAYEE": self.payee,
            "QRPAY_SERVE_CONTACT": self.contact,
            "QRPAY_TRUSTED_PROXIES": ",".join(self.trusted_proxies),
            "QRPAY_API_RATE": str(self.api_rate),
        }


def _integer(name: str, value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        raise InputError(f"{name} must be a whole number, got {value!r}") from None


def proxies_from(text: str) -> tuple[str, ...]:
    """Proxy addresses or networks, comma-separated; each checked so a typo cannot trust everyone."""
    found = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise InputError(
                f"trusted proxy {part!r} is not an IP address or network (e.g. 127.0.0.1 or 10.0.0.0/24)"
            ) from None
        found.append(part)
    return tuple(found)
