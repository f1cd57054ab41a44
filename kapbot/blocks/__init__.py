"""Block Kit builders: pure functions from care values to message and view JSON.

Built with `slack_sdk.models` so Slack's own limits are checked where the blocks are made.
"""
