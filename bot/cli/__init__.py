"""Operator commands (``votebot …``)."""
