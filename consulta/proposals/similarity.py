"""Spanish text, folded and stemmed: the proposals' term index, search and the "similar proposals" ranking.

Everything happens in Python on text the service stores with each proposal, so SQLite and
PostgreSQL give the same answers. Terms are accent-folded first and then stemmed with the
Snowball Spanish stemmer, so "información", "informacion" and "informaciones" are one term.
Ranking is TF-IDF cosine, the title counting twice; a query term that no candidate uses is
matched to the closest term that one does (rapidfuzz), which absorbs typos such as "tranparencia".

`index_entries` gives a proposal's rows of the term index (`proposal_term`): its stems with their
weight in the ranking's vector, and its other folded words with weight 0, which search matches by
their beginning ("informac" finds "información").
"""
import math
import re
import unicodedata
from collections import Counter
from functools import lru_cache

import snowballstemmer
from rapidfuzz import fuzz, process

TITLE_WEIGHT = 2
# Below this cosine two texts share only incidental words.
MIN_SCORE = 0.12
FUZZY_CUTOFF = 85
FUZZY_MIN_LENGTH = 5
# Terms are cut to this length in the index (and so are search words): an index entry stays small
# whatever a person types, and a longer word still matches by its beginning.
TERM_MAX = 40
SEARCH_WORDS_MAX = 8

STOPWORDS = frozenset("""
a al algo algun alguna algunas alguno algunos ante antes aqui asi aun cada como con contra cual
cuales cuando de del desde donde dos e el ella ellas ello ellos en entre era eran es esa esas ese
eso esos esta estaba estan estar estas este esto estos fue fueron ha han hasta hay la las le les lo
los mas me mi mientras mismo mucho muy nada ni no nos nuestra nuestro nuestros nuestras o otra otras
otro otros para pero poco por porque que quien quienes se sea sean segun ser si sido sin sino sobre
son su sus tal tambien tanto te tiene tienen todo todos toda todas tu un una unas uno unos y ya
cual cuyo cuya deben debe puede pueden hacer hace forma manera traves mediante propuesta propuestas
propone proponemos proponer
""".split())

_stemmer = snowballstemmer.stemmer("spanish")
_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str | None) -> str:
    """Lower case without accents or other marks: "Participación" → "participacion"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=20000)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def terms(text: str | None) -> list[str]:
    """The stems of the meaningful words of `text`, in order."""
    return [_stem(word) for word in _WORD.findall(fold(text)) if len(word) > 1 and word not in STOPWORDS]


def words(text: str | None) -> set[str]:
    """The distinct folded words of `text` that search can find (stopwords carry no meaning), cut to TERM_MAX."""
    return {word[:TERM_MAX] for word in _WORD.findall(fold(text)) if word not in STOPWORDS}


def search_words(query: str | None) -> list[str]:
    """The folded words of a search box query, each matched against the beginning of indexed words."""
    found = [word[:TERM_MAX] for word in _WORD.findall(fold(query)) if word not in STOPWORDS]
    return list(dict.fromkeys(found))[:SEARCH_WORDS_MAX]


def index_entries(title_terms: list[str], body_terms: list[str], searchable: set[str]) -> dict[str, int]:
    """A proposal's rows of the term index, term -> weight: its stems (title and body, as stored)
    weighted as in the ranking's vector, and the other words of `searchable` (words()) with 0."""
    entries = dict.fromkeys(searchable, 0)
    for term, weight in vector(title_terms, body_terms).items():
        entries[term[:TERM_MAX]] = weight
    return entries


def vector(title_terms: list[str], body_terms: list[str]) -> Counter:
    """A text's terms and their counts, the title's counting TITLE_WEIGHT times."""
    counts = Counter(body_terms)
    for term in title_terms:
        counts[term] += TITLE_WEIGHT
    return counts


def _fuzzy(counts: Counter, vocabulary: list[str]) -> Counter:
    """Replace terms no candidate uses by the closest term one does, weighted by closeness."""
    known = set(vocabulary)
    matched = Counter()
    for term, weight in counts.items():
        if term in known or len(term) < FUZZY_MIN_LENGTH:
            matched[term] += weight
            continue
        best = process.extractOne(term, vocabulary, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if best is None:
            matched[term] += weight
        else:
            matched[best[0]] += weight * best[1] / 100
    return matched


def idf(frequency: float, total: float) -> float:
    """The weight of a term found in `frequency` of `total` texts."""
    return math.log((total + 1) / (frequency + 1)) + 1


def rank(title: str, text: str, candidates, *, limit: int = 5, min_score: float = MIN_SCORE, frequency=None,
         total=None):
    """The ids of the candidates most like (title, text), best first, as (id, score) pairs.

    `candidates` are (id, title_terms, body_terms) with the terms as stored (space-separated).
    frequency, total: how many texts hold each term (a mapping) and how many texts there are, the
    query included, when the candidates are a selection from a larger set (the term index's
    figures); by default, the candidates'.
    """
    documents = [(key, vector(title_terms.split(), body_terms.split())) for key, title_terms, body_terms in candidates]
    if not documents:
        return []
    vocabulary = sorted({term for _, document in documents for term in document})
    if frequency is None:
        frequency = Counter(term for _, document in documents for term in document)
        total = len(documents) + 1
    query = _fuzzy(vector(terms(title), terms(text)), vocabulary)
    known_idf = {}

    def idf_of(term):
        if term not in known_idf:
            known_idf[term] = idf(frequency.get(term, 0), total)
        return known_idf[term]

    def weigh(counts):
        weights = {term: count * idf_of(term) for term, count in counts.items()}
        norm = math.sqrt(sum(value * value for value in weights.values())) or 1.0
        return {term: value / norm for term, value in weights.items()}

    query_weights = weigh(query)
    scored = []
    for key, document in documents:
        weights = weigh(document)
        score = sum(weight * weights.get(term, 0.0) for term, weight in query_weights.items())
        if score >= min_score:
            scored.append((key, score))
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored[:limit]
