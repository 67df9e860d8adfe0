"""What the payer's page says for each verify status (the items' English names are the catalog's)."""

from __future__ import annotations

# status -> (heading, English heading, explanation, English explanation)
WARNINGS = {
    "revoked": (
        "此缴款码已作废",
        "This payment code has been withdrawn",
        "发码单位已停用这个二维码。请勿付款，请向窗口工作人员索取有效的缴款码。",
        "The office that issued this code has withdrawn it. Do not pay; ask the counter for a valid code.",
    ),
    "expired": (
        "此缴款码已过期",
        "This payment code has expired",
        "这个应急缴款码的有效期已过。请勿付款，请向窗口工作人员确认缴款方式。",
        "This emergency payment code is past its validity. Do not pay; ask the counter how to pay.",
    ),
    "not-yet-valid": (
        "此缴款码尚未启用",
        "This payment code is not valid yet",
        "这个应急缴款码还没有到启用日期。请勿付款，请向窗口工作人员确认缴款方式。",
        "This emergency payment code is not in use yet. Do not pay; ask the counter how to pay.",
    ),
    "forged": (
        "这不是政府签发的缴款码",
        "This is not a genuine government payment code",
        "二维码的签名不符，可能是被人覆盖或篡改的假二维码。请勿付款。",
        "Its signature does not match: it may be a fake sticker pasted over the real code. Do not pay.",
    ),
    "unknown-key": (
        "无法确认此缴款码",
        "This payment code cannot be confirmed",
        "这个二维码不是本平台现行的缴款码。请勿付款。",
        "This code is not a current code of this platform. Do not pay.",
    ),
    "not-found": (
        "查无此缴款码",
        "No such payment code",
        "本平台没有这个缴款码的记录，可能是伪造的。请勿付款。",
        "This platform has no record of this code; it may be fake. Do not pay.",
    ),
    "malformed": (
        "这不是有效的缴款码",
        "This is not a valid payment code",
        "链接不完整或不是本平台的缴款码。请勿付款。",
        "The link is incomplete or not a code of this platform. Do not pay.",
    ),
}

# How to report a page from inside a wallet's own browser (wording only; verification is the same).
IN_APP_REPORT = {
    "wechat": "在微信中，可点击右上角「…」选择「投诉」举报此页面。",
    "alipay": "在支付宝中，可点击右上角「…」选择「举报」。",
}


def in_app_browser(user_agent: str) -> str | None:
    """``wechat``, ``alipay`` or None, from the User-Agent: only ever used to word a hint."""
    if "MicroMessenger" in user_agent:
        return "wechat"
    if "AlipayClient" in user_agent:
        return "alipay"
    return None
