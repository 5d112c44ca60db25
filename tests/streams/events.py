"""A small stream of our own articles: several overnight drone raids, each reported by four
outlets, one of which gives a figure the others contradict. Test and benchmark input only.

Each raid is its own story (another city, another day), so the expected alerts are known:
one `story.emerging` and one `figures.conflict` per raid.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Raid:
    city: str
    region: str
    official: str
    target: str
    injured: str
    low: str  # what three outlets say was shot down
    high: str  # what the fourth says
    # How the outlets tell a repeat raid on the city apart (empty the first time).
    again: str = ""


RAIDS = (
    Raid("Odesa", "Odesa", "Oleh Kiper", "a grain terminal", "two", "up to 15", "Dozens of"),
    Raid("Kharkiv", "Kharkiv", "Oleh Syniehubov", "a power substation", "four", "up to 12",
         "More than 40"),
    Raid("Mykolaiv", "Mykolaiv", "Vitaliy Kim", "a shipyard", "three", "as many as 10",
         "Dozens of"),
    Raid("Dnipro", "Dnipropetrovsk", "Serhiy Lysak", "a rail depot", "five", "up to 20",
         "More than 60"),
    Raid("Zaporizhzhia", "Zaporizhzhia", "Ivan Fedorov", "a water plant", "one", "up to 8",
         "Dozens of"),
    Raid("Poltava", "Poltava", "Filip Pronin", "a fuel depot", "six", "up to 14",
         "More than 50"),
)  # fmt: skip

OUTLETS = ("harbourwire.example", "coastpost.example", "dailyledger.example", "rapidnews.example")


def _texts(raid: Raid) -> list[tuple[str, str]]:
    """(title, text) for each outlet: three agree on the figure, the last one does not."""
    r = raid
    return [
        (
            f"Drones hit {r.target} in {r.city} overnight",
            f"Russian drones struck {r.target} in {r.city} overnight, injuring {r.injured} "
            f"workers, regional governor {r.official} said on Monday.\n\n"
            f"Ukrainian air defences shot down {r.low} drones over the {r.region} region"
            f"{r.again}, the Ukrainian air force said. Fire crews worked through the night.",
        ),
        (
            f"{r.city} hit in overnight drone raid",
            f"A Russian drone raid on {r.city} overnight damaged {r.target} and left "
            f"{r.injured} people injured, Governor {r.official} said on Monday morning.\n\n"
            f"{r.low.capitalize()} drones were shot down over the {r.region} region{r.again}, "
            f"according to the Ukrainian air force.",
        ),
        (
            f"Overnight attack on {r.city}: {r.injured} hurt",
            f"{r.injured.capitalize()} people were hurt when Russian drones attacked "
            f"{r.target} in {r.city} overnight, {r.official} said.\n\n"
            f"The Ukrainian air force said {r.low} drones were shot down over the {r.region} "
            f"region{r.again}.",
        ),
        (
            f"{r.city} drone raid: air defences busy overnight",
            f"Russia attacked {r.city} with drones overnight{r.again}, hitting {r.target}, "
            f"governor {r.official} said on Monday.\n\n"
            f"{r.high} drones were shot down over the {r.region} region{r.again}, the Ukrainian "
            f"air force said.",
        ),
    ]


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
_INJURED = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _again(raid: Raid, rep: int) -> Raid:
    """The same city hit again: other figures, and every outlet says which raid it is, so no
    paragraph repeats across stories (a paragraph an outlet repeats in three articles over two
    stories is learned as site furniture, and its digits do not tell it apart)."""
    if rep == 0:
        return raid
    low_words = raid.low.split()
    low = " ".join([*low_words[:-1], str(int(low_words[-1]) + 2 * rep)])
    injured = _INJURED[(_INJURED.index(raid.injured) + rep) % len(_INJURED)]
    again = f", the {_ORDINALS[rep]} raid on the city this spring"
    return replace(raid, low=low, injured=injured, again=again)


def raid_articles(count: int = len(RAIDS)) -> list[bytes]:
    """`count` raids in published_at order: raid i on day 3*i, its outlets 20 minutes apart.

    Past the six cities the list starts again, 18 days later: another raid on the same city,
    with other figures, another story.
    """
    out = []
    for i in range(count):
        raid = _again(RAIDS[i % len(RAIDS)], i // len(RAIDS))
        day = T0 + timedelta(days=3 * i)
        slug = f"{raid.city.lower()}{i // len(RAIDS) or ''}"
        for j, (outlet, (title, text)) in enumerate(zip(OUTLETS, _texts(raid), strict=True)):
            doc = {
                "id": f"{slug}-{outlet.split('.')[0]}",
                "source": outlet,
                "published_at": (day + timedelta(minutes=20 * j)).isoformat(),
                "title": title,
                "text": text,
            }
            out.append(json.dumps(doc).encode())
    return out
