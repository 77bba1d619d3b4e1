"""The e2e python app: imports a spread of stdlib modules, reads a data file, prints deterministic output.

whittle must keep the interpreter, this script, data.json and every module imported here (and nothing the
app never touched). The output is compared byte for byte between the original and the slimmed image.
"""
import base64
import collections
import dataclasses
import decimal
import fractions
import hashlib
import itertools
import json
import os
import re
import statistics
import textwrap
import unicodedata
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclasses.dataclass(frozen=True)
class Item:
    name: str
    qty: int
    price: str


def main():
    with open(os.path.join(HERE, "data.json"), encoding="utf-8") as f:
        data = json.load(f)
    items = [Item(**d) for d in data["items"]]
    total = sum(decimal.Decimal(i.price) * i.qty for i in items)
    counts = collections.Counter(re.sub(r"[^a-z]", "", i.name.lower())[:1] for i in items)
    print("app:", data["title"], "mode:", os.environ.get("APP_MODE", "unset"))
    print("items:", len(items), "total:", total)
    print("mean qty:", statistics.mean(i.qty for i in items), "ratio:", fractions.Fraction(len(items), 12))
    print("initials:", ",".join(f"{k}={v}" for k, v in sorted(counts.items())))
    print("pairs:", sum(1 for _ in itertools.combinations(items, 2)))
    print("sha256:", hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest())
    print("crc32:", zlib.crc32(b"whittle"), "b64:", base64.b64encode(b"whittle").decode())
    print("unicode:", unicodedata.name("\u00e9"))
    print(textwrap.fill(data["note"], width=40))


if __name__ == "__main__":
    main()
