"""Who may do what with proposals. Moderators' actions use the jurisdiction's "moderate" rule.

Windows are not permissions: the services refuse a closed window with its closing time.
"""
from consulta.core.permissions import rule
from consulta.organisations.services import may_act_for


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


@rule("submit_proposal")
def _submit_proposal(user, cycle):
    return _signed_in(user) and bool(getattr(user, "is_verified", False))


def speaks_for(user, proposal) -> bool:
    """The person who sent it, or a verified representative of the organisation it came from."""
    if not _signed_in(user) or proposal is None or proposal.author_id is None:
        return False
    if proposal.author_id == user.id:
        return True
    return proposal.organisation is not None and may_act_for(user, proposal.sector, proposal.organisation)


@rule("edit_proposal")
def _edit_proposal(user, proposal):
    return speaks_for(user, proposal)


@rule("withdraw_proposal")
def _withdraw_proposal(user, proposal):
    return speaks_for(user, proposal)


@rule("own_draft")
def _own_draft(user, draft):
    return _signed_in(user) and draft is not None and draft.owner_id == user.id
