"""Notifications: telling a person what a night (or an import) did, by mail and by webhook.

`settings` (the `notify:` section), `message` (what is said: subject, text, summary,
attachments — built once, sent over every channel), `mail` (SMTP), `webhook` (JSON, Slack,
Teams) and `delivery` (which channels, when, and what is still owed after a failure). It knows
nothing of drops or imports beyond the message it is handed; they call it, never the other way
round. Nothing is imported here so that `importer.config` can load `settings` cheaply.
"""
