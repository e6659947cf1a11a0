"""Juzi's (句子互动) system sidebar: its OAuth, which names the hosted WeCom account and the Juzi
user operating it (docs/hosts.md, "Juzi")."""
