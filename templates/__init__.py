"""The layout templates shipped with qrpay (TOML files read with importlib.resources)."""
