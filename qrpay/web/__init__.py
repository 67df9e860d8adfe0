"""`qrpay serve`: the payer's page and the verification API, as one ASGI app."""

from .app import app_from_env, create_app
from .settings import ServeSettings

__all__ = ["ServeSettings", "app_from_env", "create_app"]
