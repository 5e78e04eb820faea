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
EXTRACTOR_VERSION = "2"
