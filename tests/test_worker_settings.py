"""What a server hands its worker processes: every setting, so a worker of `qrpay serve` or
`qrpay desk --workers N` rebuilds exactly the settings the command was given."""

from __future__ import annotations

import pytest

from qrpay import Settings
from qrpay.desk import DeskSettings
from qrpay.web import ServeSettings

GIVEN = {
    "base_url": "https://pay.example.gov.cn/q/",
    "timezone": "Asia/Urumqi",
    "database_url": "postgresql://qrpay:secret@db.internal:5433/qrpay",
    "pay_url": "https://platform.example/pay/entry",
}


@pytest.mark.parametrize("server", [ServeSettings, DeskSettings])
def test_a_worker_rebuilds_the_settings_the_command_was_given(server, tmp_path, monkeypatch):
    for name in ("QRPAY_HOME", "QRPAY_BASE_URL", "QRPAY_TZ", "QRPAY_DATABASE_URL", "QRPAY_PAY_URL"):
        monkeypatch.delenv(name, raising=False)
    given = server.load(Settings.load(home=tmp_path / "home", **GIVEN))  # e.g. qrpay --database-url ... serve
    for name, value in given.environ().items():
        monkeypatch.setenv(name, value)
    rebuilt = server.load().settings
    assert rebuilt.home == tmp_path / "home"
    assert {key: getattr(rebuilt, key) for key in GIVEN} == GIVEN
