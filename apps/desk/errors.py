"""The one domain error: every move the desk refuses raises a subclass of DomainError.

Its message is for people, shown as it is; a page or endpoint catching DomainError shows
any app's refusal without knowing which app refused.
"""


class DomainError(Exception):
    """A move the desk does not allow; the message is shown to the person as it is."""
