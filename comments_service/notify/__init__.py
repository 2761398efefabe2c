"""Delivery of notifications: tokens for links in emails, mail and webhook senders,
the outbox worker, and the confirm / unsubscribe pages."""
