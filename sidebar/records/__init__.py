"""The customer record staff write from the sidebar: their remark and tags in WeCom, and in our
database follow-up notes with reminders, a stage, and the timeline of all of it
(docs/records.md)."""
