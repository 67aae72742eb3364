"""Community features: giveaways, the wipe calendar, reviews and events pushed by listing sites."""
