"""Webhook notifications from the one event stream every platform emits.

`notices` decides, without IO, which events a channel hears about;
`bodies` writes them as generic JSON or a Slack message; `sender` posts
them from a thread of its own, in order, retrying with backoff, so a slow
or failing receiver never blocks or fails a deployment.
"""

from .sender import Notifier

__all__ = ["Notifier"]
