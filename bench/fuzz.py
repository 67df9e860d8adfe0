"""Coverage-guided fuzzing of the token and payment-code parsers and of Qrpay.verify (atheris).

    pip install -e '.[fuzz]'
    python bench/fuzz.py -max_total_time=600      # any libFuzzer option passes through

The first byte of each input picks the target, the rest is the text (UTF-8, undecodable bytes
kept as surrogates, as a scanner or a shell may hand them over). Every input must give a value
or the tool's own error; any other exception, or a ``genuine`` verdict for text that is not one
of the genuine codes, stops the run and saves the input. The CI tests in tests/test_tamper.py
fuzz the same targets briefly with hypothesis.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["qrpay", "itsdangerous", "stdnum"]):
    from qrpay import STATUSES, MalformedToken, Qrpay, QrpayError, Settings
    from qrpay.codes import paycode, token
    from qrpay.keys import Keyring

BASE_URL = "https://pay.hz.gov.cn/q/"
SEPARATORS = re.compile(r"[\s\-]")
TARGETS = ("token.parse", "paycode.parse", "Qrpay.verify")


def _desk(home: Path) -> tuple[Qrpay, set[str]]:
    """A desk with one code of each kind, and the exact texts that may verify as genuine."""
    Keyring.init(home / "keyring.json")
    desk = Qrpay(Settings.load(home=home, base_url=BASE_URL))
    codes = [
        desk.mint_unified("traffic-fine")[0],
        desk.mint_scene("09", "window 3")[0],
        desk.mint_open("06", valid_from="2026-01-01", valid_until="2199-01-31")[0],
    ]
    genuine = {form for code in codes for form in (code.token, code.payload, SEPARATORS.sub("", code.payment_code))}
    return desk, genuine


def _seed(corpus: Path, genuine: set[str]) -> None:
    for number, text in enumerate(sorted(genuine)):
        for target in range(len(TARGETS)):
            (corpus / f"seed-{number}-{target}").write_bytes(bytes([target]) + text.encode())


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="qrpay-fuzz-"))
    desk, genuine = _desk(work / "home")

    def one_input(data: bytes) -> None:
        if not data:
            return
        target, text = TARGETS[data[0] % len(TARGETS)], data[1:].decode("utf-8", "surrogateescape")
        try:
            if target == "token.parse":
                token.parse(text)
            elif target == "paycode.parse":
                paycode.parse(text)
            else:
                verdict = desk.verify(text)
                if verdict.status not in STATUSES:
                    raise AssertionError(f"unknown status {verdict.status!r}")
                if verdict.genuine and text.strip() not in genuine and SEPARATORS.sub("", text) not in genuine:
                    raise AssertionError(f"accepted as genuine: {text!r}")
        except (MalformedToken, QrpayError):
            pass

    argv = list(sys.argv)
    if not any(arg.startswith("-artifact_prefix=") for arg in argv):
        argv.append(f"-artifact_prefix={work}/")  # a failing input is saved there, not in the current folder
    if not any(not arg.startswith("-") for arg in argv[1:]):  # no corpus folder given: seed one
        corpus = work / "corpus"
        corpus.mkdir()
        _seed(corpus, genuine)
        argv.append(str(corpus))
    print(f"fuzzing {', '.join(TARGETS)}; work folder {work}", file=sys.stderr)
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
