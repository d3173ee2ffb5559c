"""What other apps may react to, without the alerts app knowing them."""

from django.dispatch import Signal

# Sent after the commit that stored new alerts, with `alert_ids`: the ids created (not the
# repeats). Receivers must be quick — enqueue a task, do not do the work inline — since
# ingest runs thousands of alerts a second. Cases attach them, shifts route them.
alerts_arrived = Signal()
