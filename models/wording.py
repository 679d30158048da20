"""Marks words the domain names (a village head's title by level) for translation where shown.

The one definition of N_: bot.i18n re-exports it for handlers.
"""


def N_(message: str) -> str:
    """Mark a string for extraction where it is defined; it is translated where it is shown."""
    return message
