"""Every table, imported in one place for Alembic and the model/migration check."""

from blood.accounts.models import ApiToken, Organisation, User
from blood.audit import AuditEvent

__all__ = ["ApiToken", "AuditEvent", "Organisation", "User"]
