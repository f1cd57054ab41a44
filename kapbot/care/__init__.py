"""The clinical rules as pure functions over small immutable values.

Nothing here touches Slack, SQL or the clock: time is always an argument, so every rule
can be tested exhaustively and reasoned about on its own.
"""
