"""Who may do what with comments. Moderators' actions (answer, hide, restore, the queue) use the
jurisdiction's "moderate" rule; the settings its "administer".

Windows are not permissions: the services refuse a closed window with its closing time.
"""
from consulta.consultation.services import appeal_deciders
from consulta.core.permissions import rule


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _is_author(user, comment) -> bool:
    return _signed_in(user) and comment is not None and comment.author_id == user.id


@rule("comment")
def _comment(user, cycle):
    return _signed_in(user) and bool(getattr(user, "is_verified", False))


@rule("report_comment")
def _report_comment(user, comment):
    return _signed_in(user) and bool(getattr(user, "is_verified", False))


@rule("edit_comment")
def _edit_comment(user, comment):
    return _is_author(user, comment)


@rule("withdraw_comment")
def _withdraw_comment(user, comment):
    return _is_author(user, comment)


@rule("appeal_comment")
def _appeal_comment(user, comment):
    return _is_author(user, comment)


@rule("decide_comment_appeal")
def _decide_comment_appeal(user, appeal):
    """Another moderator of the jurisdiction than the one who hid it; where there is none, a
    national administrator (services.appeal_deciders)."""
    return _signed_in(user) and appeal is not None and any(person.id == user.id for person in appeal_deciders(appeal))
