"""WeCom's change events (接收事件): the callback endpoint, and what each event does to the
app's caches, to staff access, and to the customer's timeline (docs/wecom.md, "Callbacks")."""
