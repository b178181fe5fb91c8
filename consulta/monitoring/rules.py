"""Who may do what in monitoring. Reporting and correcting use the jurisdictions' "report_progress"
rule (a reporter of the responsible entity); completing an activity's details, "moderate"."""
from consulta.core.permissions import rule


@rule("follow_commitment")
def _follow_commitment(user, commitment):
    # Followers are emailed: a verified address is needed.
    return bool(getattr(user, "is_authenticated", False)) and bool(getattr(user, "is_verified", False))
