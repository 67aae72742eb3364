"""What every feature stands on: errors, validation, interactions, boards, scheduling, time."""
