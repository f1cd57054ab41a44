"""Bolt listeners, grouped by Slack surface. Each is a few lines: who, what, one service
call, the answer. Every `register(app, services)` closes over the one `Services` object."""
