"""What other apps may react to, without the alerts app knowing them."""

from django.dispatch import Signal

# Sent after the commit that stored new alerts, with `alert_ids`: the ids created (not the
# repeats). Receivers must be quick — enqueue a task, do not do the work inline — since
# ingest runs thousands of alerts a second. Cases attach them, shifts route them.
alerts_arrived = Signal()

# Sent inside the transaction that moves an alert to escalated, with `alert`, `by`, `target`
# (the addressee's name as the cases app knows it: "supervisor", "strategy") and `reason`.
# The cases app owns escalations — the row, the addressees' inbox, their notification — and
# answers it; alerts sits below cases and cannot call it. A receiver refuses by raising
# AlertError, which undoes the move.
alert_escalated = Signal()
