"""A code's preview on its desk page: the web template's PNG, self-checked but not recorded.

The render history lists files made for people (downloads, prints, CLI renders), so a preview
is drawn by the render layer from :meth:`Qrpay.view` (read back like every file) and never
recorded; the desk's view has already refused a code that may not be printed. A preview is kept
here (least recently used dropped first) by the code's id and payload, which never change, and
the version of the web template that drew it; the browser may keep it too, revalidating by an
ETag made of the same three. The view hands in the template as loaded for this request, so a
bureau's own ``web.toml`` created, edited or removed while the desk runs shows on the next view.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from qrpay import Code, Qrpay
from qrpay.render import Template, render

TEMPLATE = "web"
KEEP = 256  # previews kept per worker (a few KB each)
CACHE_CONTROL = "private, max-age=3600"  # the browser may keep it; a shared proxy may not


class Previews:
    """The previews of the last KEEP codes shown, each with its template's version; safe across threads."""

    def __init__(self, keep: int = KEEP):
        self.keep = keep
        self.kept: OrderedDict[tuple[str, str], tuple[str, bytes]] = OrderedDict()
        self.lock = threading.Lock()
        self.last: tuple[Template, str] | None = None  # the template last seen and its version

    def version(self, layout: Template) -> str:
        """A hash of everything *layout* says, the same in every worker. Worked out once per parsed
        template: loading hands back the same frozen value while the file's text is unchanged."""
        last = self.last
        if last is None or last[0] is not layout:
            last = self.last = (layout, hashlib.sha256(repr(layout).encode()).hexdigest()[:16])
        return last[1]

    def etag(self, code: Code, layout: Template) -> str:
        """The preview's validator: it changes with the code's id or payload and with the template."""
        tag = f"{code.id}\n{code.payload}\n{self.version(layout)}"
        return '"' + hashlib.sha256(tag.encode()).hexdigest()[:32] + '"'

    def png(self, qrpay: Qrpay, code: Code, layout: Template) -> bytes:
        """*code*'s preview PNG drawn with *layout* (the web template as loaded now), drawn and
        self-checked the first time it is asked for; call only for a code the user may see and print."""
        key, version = (code.id, code.payload), self.version(layout)
        with self.lock:
            kept = self.kept.get(key)
            if kept is not None and kept[0] == version:
                self.kept.move_to_end(key)
                return kept[1]
        with tempfile.TemporaryDirectory(prefix="qrpay-desk-") as folder:
            path = Path(folder) / f"{code.id}-{TEMPLATE}.png"
            render(layout, [qrpay.view(code)], path, font=qrpay.settings.font)  # self-checked, not recorded
            data = path.read_bytes()
        with self.lock:
            self.kept[key] = (version, data)  # a preview of an older template is replaced, not kept beside
            self.kept.move_to_end(key)
            while len(self.kept) > self.keep:
                self.kept.popitem(last=False)
        return data


PREVIEWS = Previews()
