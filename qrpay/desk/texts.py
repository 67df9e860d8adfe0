"""What the desk's pages call things, in Chinese."""

from __future__ import annotations

KINDS = {"unified": "统一码", "scene": "场景码", "open": "应急码", "bill": "通知书码"}
STATES = {"live": "有效", "revoked": "已作废", "expired": "已过期", "not-yet-valid": "未到期"}
ROLES = {"clerk": "窗口人员", "officer": "管理员"}
ACTIONS = {
    "login": "登录",
    "login-failed": "登录失败",
    "login-locked": "登录被锁定",
    "logout": "退出",
    "download": "下载",
    "print": "打印页",
    "mint": "发码",
    "revoke": "作废",
    "kit": "应急包",
    "reconcile": "对账",
    "user-add": "添加用户",
    "user-disable": "停用用户",
    "user-passwd": "修改密码",
}
FORMATS = {"pdf": "PDF 打印文件", "png": "PNG 图片", "svg": "SVG 矢量图"}
LOGIN_FAILED = "用户名或密码错误，或账号已暂时锁定（15 分钟内连续失败 5 次将锁定 15 分钟）。"
CLASSES = {  # reconciliation classes (qrpay.emergency.rules.CLASSES)
    "matched": "相符",
    "amount_mismatch": "金额不符",
    "forged": "伪造的码",
    "unknown_code": "未知的码",
    "revoked": "作废后付款",
    "expired": "过期后付款",
    "duplicate": "重复付款",
    "refunded": "已退款",
    "unlogged": "未登记的付款",
    "unpaid": "登记了但未到账",
}
