import pytest

from apps.alerts.models import Alert
from apps.alerts.pipeline import publish
from apps.alerts.signals import alerts_arrived
from tests.alerts.payloads import alert_payload


@pytest.mark.django_db
def test_other_apps_hear_of_new_alerts_after_the_commit_and_not_of_repeats(
    django_capture_on_commit_callbacks,
) -> None:
    heard: list[list[int]] = []

    def receiver(sender: object, alert_ids: list[int], **kwargs: object) -> None:
        heard.append(alert_ids)

    alerts_arrived.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            publish([alert_payload(1), alert_payload(2)])
        assert heard == []  # nothing before the commit
        for callback in callbacks:
            callback()
        assert sorted(heard[0]) == sorted(Alert.objects.values_list("pk", flat=True))
        with django_capture_on_commit_callbacks(execute=True):
            publish([alert_payload(1)])  # a repeat: no new alert
        assert len(heard) == 1
    finally:
        alerts_arrived.disconnect(receiver)
