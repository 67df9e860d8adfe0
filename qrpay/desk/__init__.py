"""`qrpay desk`: the staff site, where counter staff find and print codes and officers mint,
revoke, make emergency kits and reconcile; a separate app and port from `qrpay serve`."""

from .app import app_from_env, create_app
from .settings import DeskSettings

__all__ = ["DeskSettings", "app_from_env", "create_app"]
