"""Russian NLP extraction: companies, organisations, regions, categories, persons and events."""

# Bump when extraction results change, so `avtomon extract --reextract` redoes older articles.
# 2: local governments in lower case, model names and descriptors not organisations, street and district
#    adjectives not regions, more sales triggers, unknown makers classified by what follows them,
#    event attribution (prepositions, «X и Y», follow-up sentences, deal owners), public bodies with
#    their place («МЧС России»), quoted names without descriptor, Евросоюз, declined abbreviations
#    («ГАЗа»), unknown companies found again in the text, bridges not axles, former owners not actors,
#    one event per (type, company, region) in a text, names declined after adjectives, more
#    ranking and import-replacement triggers, unknown makers as relevance evidence, obliques in lists,
#    the assembler as a party to contract assembly, brands as goods not sellers, plans not sales,
#    «новый владелец» as the buyer of the deal before.
# 3: the annotation contract of data/ANNOTATION.md: a gazetteer of the Russian auto market with brands counted
#    as their owners, names from descriptors and brackets, brands named as goods not companies, places never
#    organisations; categories by salience (the rest stored as mentions in passing); events output and
#    recall, every party of an event, background and maybes left out, one event per (type, company).
# 4: a strict brand first in a sentence is a name when a model follows («Лада Веста подорожала»); a known
#    maker's brand named only as goods is relevance evidence.
EXTRACTOR_VERSION = "4"


def extractor_version() -> str:
    """The version stored with each extracted article: the code's, plus the digest of the user's
    companies.yaml when there is one (editing it makes `extract --reextract` redo the articles)."""
    from avtomon.extractors.overlay import digest
    from avtomon.extractors.resources import overlay_path

    extra = digest(overlay_path())
    return f"{EXTRACTOR_VERSION}+{extra}" if extra else EXTRACTOR_VERSION
