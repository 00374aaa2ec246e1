"""The built-in call outcomes' labels, here so the message catalogue translates them.

Migration 0002 creates the outcomes with these English labels; ``CallOutcome.__str__`` looks the
stored label up in the catalogue, so an outcome an administrator adds shows as typed.
"""

from django.utils.translation import gettext_noop

BUILTIN_LABELS = [
    gettext_noop("Reached: interested"),
    gettext_noop("Reached: meeting booked"),
    gettext_noop("Reached: call back later"),
    gettext_noop("Reached: not interested"),
    gettext_noop("No answer"),
    gettext_noop("Busy"),
    gettext_noop("Left a voicemail"),
    gettext_noop("Wrong number"),
    gettext_noop("Asked not to be called"),
]
