"""What search-as-you-type matches a reply by: its title and content as written, in pinyin
(全拼, with and without spaces) and in pinyin initials (首字母), all lower-case. Computed when
the reply is saved; the page matches typed text against it without a round trip."""

from pypinyin import Style, lazy_pinyin


def search_text(*texts: str) -> str:
    plain = " ".join(t for t in texts if t)
    syllables = lazy_pinyin(plain, errors="ignore")
    initials = lazy_pinyin(plain, style=Style.FIRST_LETTER, errors="ignore")
    parts = [plain, "".join(syllables), " ".join(syllables), "".join(initials)]
    return "\n".join(parts).lower()
