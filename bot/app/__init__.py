"""Assembling a process: typed settings, the Discord client, the runtime."""
