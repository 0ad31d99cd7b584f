"""The demo municipality's catalogue, drawn from Danish citizen service centres' own reports.

Plain data only; skranke.core.demo loads it. Durations are typical minutes at the counter.
"""

from __future__ import annotations

from typing import TypedDict


class AreaData(TypedDict):
    slug: str
    name: str
    name_en: str


class ServiceData(TypedDict, total=False):
    area: str
    slug: str
    name: str
    name_en: str
    minutes: int
    bookable: bool
    walk_in: bool
    bring: str
    bring_en: str


SUBJECT_AREAS: list[AreaData] = [
    {"slug": "pas", "name": "Pas", "name_en": "Passports"},
    {"slug": "koerekort", "name": "Kørekort", "name_en": "Driving licences"},
    {"slug": "sygesikring", "name": "Sygesikring", "name_en": "Health insurance"},
    {"slug": "folkeregister", "name": "Folkeregister", "name_en": "Civil registration"},
    {"slug": "skat", "name": "Skat", "name_en": "Tax"},
    {"slug": "pension", "name": "Pension", "name_en": "Pensions"},
    {"slug": "boligstoette", "name": "Boligstøtte", "name_en": "Housing benefit"},
    {"slug": "mitid", "name": "MitID", "name_en": "MitID"},
    {"slug": "digital-post", "name": "Digital Post", "name_en": "Digital Post"},
    {"slug": "vielser", "name": "Vielser", "name_en": "Weddings"},
    {"slug": "valg", "name": "Valg", "name_en": "Elections"},
    {"slug": "opkraevning", "name": "Opkrævning", "name_en": "Payments and debt"},
    {"slug": "information", "name": "Information og andet", "name_en": "Information and other"},
]

_PHOTO_ID = "Gammelt pas eller anden billedlegitimation. Foto tages i Borgerservice."
_PHOTO_ID_EN = "Your old passport or other photo ID. The photo is taken at the counter."

SERVICES: list[ServiceData] = [
    {
        "area": "pas",
        "slug": "pas-voksen",
        "name": "Pas til voksne",
        "name_en": "Adult passport",
        "minutes": 15,
        "bookable": True,
        "bring": _PHOTO_ID,
        "bring_en": _PHOTO_ID_EN,
    },
    {
        "area": "pas",
        "slug": "pas-barn",
        "name": "Pas til børn",
        "name_en": "Child passport",
        "minutes": 15,
        "bookable": True,
        "bring": "Barnet og begge forældre, eller samtykkeerklæring fra den anden forælder.",
        "bring_en": "The child and both parents, or the other parent's written consent.",
    },
    {
        "area": "pas",
        "slug": "noedpas",
        "name": "Nødpas",
        "name_en": "Emergency passport",
        "minutes": 15,
        "bring": "Billedlegitimation og rejsedokumentation.",
        "bring_en": "Photo ID and proof of travel.",
    },
    {
        "area": "pas",
        "slug": "pas-udlevering",
        "name": "Udlevering af pas",
        "name_en": "Collect a passport",
        "minutes": 4,
        "bring": "Billedlegitimation.",
        "bring_en": "Photo ID.",
    },
    {
        "area": "koerekort",
        "slug": "koerekort-fornyelse",
        "name": "Fornyelse af kørekort",
        "name_en": "Renew a driving licence",
        "minutes": 10,
        "bookable": True,
        "bring": "Dit nuværende kørekort.",
        "bring_en": "Your current driving licence.",
    },
    {
        "area": "koerekort",
        "slug": "koerekort-erhvervelse",
        "name": "Første kørekort",
        "name_en": "First driving licence",
        "minutes": 15,
        "bookable": True,
        "bring": "Lægeattest, billedlegitimation og kvittering for betalt gebyr.",
        "bring_en": "Medical certificate, photo ID and receipt for the fee.",
    },
    {
        "area": "koerekort",
        "slug": "koerekort-ombytning",
        "name": "Ombytning af udenlandsk kørekort",
        "name_en": "Exchange a foreign licence",
        "minutes": 20,
        "bookable": True,
        "bring": "Det udenlandske kørekort og opholdsdokumentation.",
        "bring_en": "The foreign licence and proof of residence.",
    },
    {
        "area": "koerekort",
        "slug": "koerekort-duplikat",
        "name": "Duplikatkørekort",
        "name_en": "Replacement driving licence",
        "minutes": 10,
    },
    {
        "area": "koerekort",
        "slug": "koerekort-international",
        "name": "Internationalt kørekort",
        "name_en": "International driving permit",
        "minutes": 10,
    },
    {
        "area": "koerekort",
        "slug": "koerekort-udlevering",
        "name": "Udlevering af kørekort",
        "name_en": "Collect a driving licence",
        "minutes": 4,
    },
    {
        "area": "sygesikring",
        "slug": "sundhedskort",
        "name": "Sundhedskort",
        "name_en": "Health insurance card",
        "minutes": 6,
    },
    {
        "area": "sygesikring",
        "slug": "laegevalg",
        "name": "Skift af læge",
        "name_en": "Change of doctor",
        "minutes": 6,
    },
    {
        "area": "sygesikring",
        "slug": "eu-sygesikringskort",
        "name": "Blåt EU-sygesikringskort",
        "name_en": "European health insurance card",
        "minutes": 5,
    },
    {
        "area": "folkeregister",
        "slug": "flytning",
        "name": "Flytning",
        "name_en": "Change of address",
        "minutes": 10,
    },
    {
        "area": "folkeregister",
        "slug": "navneaendring",
        "name": "Navneændring",
        "name_en": "Change of name",
        "minutes": 15,
    },
    {
        "area": "folkeregister",
        "slug": "bopaelsattest",
        "name": "Bopælsattest",
        "name_en": "Certificate of residence",
        "minutes": 5,
    },
    {
        "area": "folkeregister",
        "slug": "indrejse",
        "name": "Indrejse fra udlandet",
        "name_en": "Moving to Denmark",
        "minutes": 20,
        "bookable": True,
        "bring": "Pas, opholdstilladelse eller registreringsbevis og lejekontrakt.",
        "bring_en": "Passport, residence permit or registration certificate, and lease.",
    },
    {
        "area": "skat",
        "slug": "forskudsopgoerelse",
        "name": "Hjælp til forskudsopgørelse",
        "name_en": "Help with the preliminary tax assessment",
        "minutes": 15,
    },
    {
        "area": "skat",
        "slug": "aarsopgoerelse",
        "name": "Hjælp til årsopgørelse",
        "name_en": "Help with the annual tax statement",
        "minutes": 15,
    },
    {
        "area": "pension",
        "slug": "folkepension",
        "name": "Vejledning om folkepension",
        "name_en": "Guidance on state pension",
        "minutes": 15,
    },
    {
        "area": "pension",
        "slug": "foertidspension",
        "name": "Vejledning om førtidspension",
        "name_en": "Guidance on disability pension",
        "minutes": 15,
    },
    {
        "area": "boligstoette",
        "slug": "boligstoette",
        "name": "Ansøgning om boligstøtte",
        "name_en": "Applying for housing benefit",
        "minutes": 15,
    },
    {
        "area": "mitid",
        "slug": "mitid-udstedelse",
        "name": "Udstedelse af MitID",
        "name_en": "Getting MitID",
        "minutes": 15,
        "bring": "Pas eller kørekort og sundhedskort.",
        "bring_en": "Passport or driving licence, and health insurance card.",
    },
    {
        "area": "mitid",
        "slug": "mitid-spaerring",
        "name": "Spærret eller glemt MitID",
        "name_en": "Locked or forgotten MitID",
        "minutes": 10,
    },
    {
        "area": "mitid",
        "slug": "mitid-kodeviser",
        "name": "MitID-kodeviser og kodeoplæser",
        "name_en": "MitID code display and audio reader",
        "minutes": 10,
    },
    {
        "area": "digital-post",
        "slug": "digital-post-fritagelse",
        "name": "Fritagelse for Digital Post",
        "name_en": "Exemption from Digital Post",
        "minutes": 10,
    },
    {
        "area": "digital-post",
        "slug": "digital-post-hjaelp",
        "name": "Hjælp til Digital Post",
        "name_en": "Help with Digital Post",
        "minutes": 10,
    },
    {
        "area": "vielser",
        "slug": "aegteskabsbetingelser",
        "name": "Prøvelse af ægteskabsbetingelser",
        "name_en": "Marriage eligibility check",
        "minutes": 20,
        "bookable": True,
        "walk_in": False,
    },
    {
        "area": "vielser",
        "slug": "borgerlig-vielse",
        "name": "Borgerlig vielse",
        "name_en": "Civil wedding",
        "minutes": 30,
        "bookable": True,
        "walk_in": False,
    },
    {
        "area": "valg",
        "slug": "brevstemme",
        "name": "Brevstemme",
        "name_en": "Postal vote",
        "minutes": 8,
        "bring": "Billedlegitimation.",
        "bring_en": "Photo ID.",
    },
    {
        "area": "opkraevning",
        "slug": "betalingsaftale",
        "name": "Betalingsaftale",
        "name_en": "Payment plan",
        "minutes": 15,
    },
    {
        "area": "opkraevning",
        "slug": "regning",
        "name": "Spørgsmål til en regning",
        "name_en": "Questions about a bill",
        "minutes": 10,
    },
    {
        "area": "information",
        "slug": "vejledning",
        "name": "Generel vejledning",
        "name_en": "General guidance",
        "minutes": 10,
    },
    {
        "area": "information",
        "slug": "selvbetjening",
        "name": "Hjælp til selvbetjening",
        "name_en": "Help with online self-service",
        "minutes": 15,
    },
]


class ColleagueData(TypedDict):
    username: str
    first_name: str
    last_name: str
    teams: list[str]
    centre: str


# The demo centres' other counter staff: they appear in the history (visits per team and
# employee), not as demo logins, so their accounts have no usable password.
COLLEAGUES: list[ColleagueData] = [
    {
        "username": "sofie",
        "first_name": "Sofie",
        "last_name": "Madsen",
        "teams": ["Team Pas og kørekort"],
        "centre": "raadhuset",
    },
    {
        "username": "jonas",
        "first_name": "Jonas",
        "last_name": "Larsen",
        "teams": ["Team Pas og kørekort"],
        "centre": "raadhuset",
    },
    {
        "username": "ida",
        "first_name": "Ida",
        "last_name": "Poulsen",
        "teams": ["Team Pas og kørekort", "Team Borgerservice"],
        "centre": "raadhuset",
    },
    {
        "username": "peter",
        "first_name": "Peter",
        "last_name": "Christensen",
        "teams": ["Team Borgerservice"],
        "centre": "raadhuset",
    },
    {
        "username": "hanne",
        "first_name": "Hanne",
        "last_name": "Rasmussen",
        "teams": ["Team Borgerservice", "Team Ydelser"],
        "centre": "raadhuset",
    },
    {
        "username": "karin",
        "first_name": "Karin",
        "last_name": "Sørensen",
        "teams": ["Team Ydelser"],
        "centre": "raadhuset",
    },
    {
        "username": "mads",
        "first_name": "Mads",
        "last_name": "Pedersen",
        "teams": ["Team Ydelser"],
        "centre": "raadhuset",
    },
    {
        "username": "lone",
        "first_name": "Lone",
        "last_name": "Kristensen",
        "teams": ["Team Borgerservice"],
        "centre": "biblioteket",
    },
    {
        "username": "ahmad",
        "first_name": "Ahmad",
        "last_name": "Hassan",
        "teams": ["Team Borgerservice"],
        "centre": "biblioteket",
    },
    {
        "username": "freja",
        "first_name": "Freja",
        "last_name": "Thomsen",
        "teams": ["Team Pas og kørekort"],
        "centre": "biblioteket",
    },
]

# Who sits at the counters in each centre's history (demo users first), and who issues numbers
# as the floor guide.
HISTORY_ROSTER: dict[str, list[str]] = {
    "raadhuset": [
        "teamleder",
        "medarbejder",
        *(c["username"] for c in COLLEAGUES if c["centre"] == "raadhuset"),
    ],
    "biblioteket": [c["username"] for c in COLLEAGUES if c["centre"] == "biblioteket"],
}
FLOOR_GUIDES: dict[str, str] = {"raadhuset": "teamleder"}
