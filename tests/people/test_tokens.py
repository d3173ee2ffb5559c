import pytest
from django.core.management import CommandError, call_command
from knox.models import AuthToken


@pytest.mark.django_db
def test_issue_token_prints_a_token_for_a_system_user(system_user, capsys) -> None:
    call_command("issue_token", "detector")
    token = capsys.readouterr().out.strip()
    assert len(token) >= 40
    assert AuthToken.objects.filter(user=system_user).count() == 1
    # Stored hashed: the printed token is not in the database.
    assert not AuthToken.objects.filter(digest=token).exists()


@pytest.mark.django_db
def test_issue_token_refuses_a_person_outside_the_system_group(operator) -> None:
    with pytest.raises(CommandError, match="not in the `system` group"):
        call_command("issue_token", "olga")
