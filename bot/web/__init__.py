"""The aiohttp application: vote intake, the bot's public APIs, health and metrics."""
