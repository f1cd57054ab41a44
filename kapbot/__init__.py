"""kapbot: a Slack app that keeps a KAP clinic's two-person session gate."""

__version__ = "0.1.0"
