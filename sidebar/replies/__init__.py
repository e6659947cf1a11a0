"""Quick replies (话术库): a library of prepared messages that staff send into the current
chat with the client's sendChatMessage, managed in Django admin, every send recorded."""
