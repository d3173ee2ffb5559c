"""What other apps may react to, without the accounts app knowing them."""

from django.dispatch import Signal

# Sent inside the transaction that re-derives clusters, before retired clusters are deleted,
# with `retired`: {old key: the key it merged into, or None when it dissolved}. Cases move
# their open cases along; the accounts app sits below them and cannot call them.
clusters_retired = Signal()
