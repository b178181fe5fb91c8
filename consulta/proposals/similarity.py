"""Spanish text, folded and stemmed: the search column and the "similar proposals" ranking.

Everything happens in Python on text the service stores with each proposal, so SQLite and
PostgreSQL give the same answers. Terms are accent-folded first and then stemmed with the
Snowball Spanish stemmer, so "información", "informacion" and "informaciones" are one term.
Ranking is TF-IDF cosine over the cycle's proposals, the title counting twice; a query term
that no proposal uses is matched to the closest term that one does (rapidfuzz), which absorbs
typos such as "tranparencia".
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


def search_words(query: str | None) -> list[str]:
    """The folded words of a search box query, for LIKE matching against the folded column."""
    return [word for word in _WORD.findall(fold(query)) if word][:8]


def _vector(title_terms: list[str], body_terms: list[str]) -> Counter:
    vector = Counter(body_terms)
    for term in title_terms:
        vector[term] += TITLE_WEIGHT
    return vector


def _fuzzy(vector: Counter, vocabulary: list[str]) -> Counter:
    """Replace terms no candidate uses by the closest term one does, weighted by closeness."""
    known = set(vocabulary)
    matched = Counter()
    for term, weight in vector.items():
        if term in known or len(term) < FUZZY_MIN_LENGTH:
            matched[term] += weight
            continue
        best = process.extractOne(term, vocabulary, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if best is None:
            matched[term] += weight
        else:
            matched[best[0]] += weight * best[1] / 100
    return matched


def rank(title: str, text: str, candidates, *, limit: int = 5, min_score: float = MIN_SCORE):
    """The ids of the candidates most like (title, text), best first, as (id, score) pairs.

    `candidates` are (id, title_terms, body_terms) with the terms as stored (space-separated).
    """
    documents = [(key, _vector(title_terms.split(), body_terms.split())) for key, title_terms, body_terms in candidates]
    if not documents:
        return []
    frequency = Counter(term for _, vector in documents for term in vector)
    total = len(documents) + 1
    vocabulary = sorted(frequency)
    query = _fuzzy(_vector(terms(title), terms(text)), vocabulary)

    def idf(term):
        return math.log((total + 1) / (frequency.get(term, 0) + 1)) + 1

    def weigh(vector):
        weights = {term: count * idf(term) for term, count in vector.items()}
        norm = math.sqrt(sum(weight * weight for weight in weights.values())) or 1.0
        return {term: weight / norm for term, weight in weights.items()}

    query_weights = weigh(query)
    scored = []
    for key, vector in documents:
        weights = weigh(vector)
        score = sum(weight * weights.get(term, 0.0) for term, weight in query_weights.items())
        if score >= min_score:
            scored.append((key, score))
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored[:limit]
