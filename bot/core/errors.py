"""Errors that carry a message fit to show the user as it is."""


class UserError(Exception):
    """Bad input or a refused action; the message is shown to the user (ephemeral) or the operator."""
