"""The hosts the sidebar page runs in besides the WeCom client itself: hosted sidebars, such as
Juzi's (句子互动), which host WeCom accounts in their own console and sign staff in through their
own OAuth (docs/hosts.md)."""
