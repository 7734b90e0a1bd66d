"""Every string of the pages is translated: a Chinese-speaking class never meets English chrome."""

import re
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def entries(text: str) -> list[tuple[str, list[str]]]:
    found = []
    for block in text.split("\n\n"):
        msgid = re.search(r'^msgid "(.*)"$', block, re.M)
        if not msgid or not msgid.group(1):
            continue
        strings = re.findall(r'^msgstr(?:\[\d\])? "(.*)"$', block, re.M)
        found.append((msgid.group(1), strings))
    return found


def test_every_page_string_has_a_chinese_translation():
    text = CATALOGUE.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    untranslated = [msgid for msgid, strings in entries(text) if not all(strings)]
    assert untranslated == []


def test_the_catalogue_keeps_the_placeholders():
    for msgid, strings in entries(CATALOGUE.read_text(encoding="utf-8")):
        wanted = sorted(re.findall(r"%\(\w+\)s", msgid))
        for translated in strings:
            assert sorted(re.findall(r"%\(\w+\)s", translated)) == wanted, msgid
