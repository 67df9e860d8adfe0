"""The register: every code minted, file rendered, revocation, collection and reconciliation run."""

from .store import Purpose, Register, utcnow

__all__ = ["Purpose", "Register", "utcnow"]
