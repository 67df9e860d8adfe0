"""A code's preview on its desk page: the web template's PNG, self-checked but not recorded.

The render history lists files made for people (downloads, prints, CLI renders), so a preview
is drawn by the render layer from :meth:`Qrpay.view` (read back like every file) and never
recorded; the desk's view has already refused a code that may not be printed. A code's payload never changes, so its preview is kept here
(least recently used dropped first) and the browser may keep it too, revalidating by ETag.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from qrpay import Code, Qrpay
from qrpay.render import load_template, render

TEMPLATE = "web"
KEEP = 256  # previews kept per worker (a few KB each)
CACHE_CONTROL = "private, max-age=3600"  # the browser may keep it; a shared proxy may not


class Previews:
    """The previews of the last KEEP codes shown, by code id and payload; safe across threads."""

    def __init__(self, keep: int = KEEP):
        self.keep = keep
        self.kept: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self.lock = threading.Lock()

    def png(self, qrpay: Qrpay, code: Code) -> bytes:
        """*code*'s preview PNG, drawn (and self-checked) the first time it is asked for; call only
        for a code the user may see and print."""
        key = (code.id, code.payload)
        with self.lock:
            if key in self.kept:
                self.kept.move_to_end(key)
                return self.kept[key]
        layout = load_template(TEMPLATE, qrpay.settings.user_templates_dir)
        with tempfile.TemporaryDirectory(prefix="qrpay-desk-") as folder:
            path = Path(folder) / f"{code.id}-{TEMPLATE}.png"
            render(layout, [qrpay.view(code)], path, font=qrpay.settings.font)  # self-checked, not recorded
            data = path.read_bytes()
        with self.lock:
            self.kept[key] = data
            while len(self.kept) > self.keep:
                self.kept.popitem(last=False)
        return data


def etag(code: Code) -> str:
    """The preview's validator: it changes only with the code's id or payload."""
    return '"' + hashlib.sha256(f"{code.id}\n{code.payload}".encode()).hexdigest()[:32] + '"'


PREVIEWS = Previews()
