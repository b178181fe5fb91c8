"""Spanish text of realistic lengths for the generated rows, with what the services derive from it.

Every sentence is made once (1,500 of them) together with its folded form (proposals' search
column), its Snowball stems (similarity, comment fingerprints) and its rendered HTML; paragraphs are
a few sentences and a row's text a few paragraphs, so the derived columns are joins of the
sentences' ones and match what the services would have computed, without stemming a million texts.
"""
import random
from dataclasses import dataclass

from consulta.consultation.services import render
from consulta.proposals.similarity import fold, terms

OPENERS = ("Proponemos que", "Es urgente que", "Solicitamos que", "La ciudadanía espera que",
           "Creemos necesario que", "Sería importante que", "Pedimos formalmente que", "Hace falta que",
           "Las organizaciones de la región piden que", "Nos parece indispensable que",
           "Desde nuestra junta de vecinos sugerimos que", "Resulta razonable que")
SUBJECTS = ("el Consejo para la Transparencia", "cada municipio", "los servicios públicos",
            "la Contraloría General de la República", "el Ministerio Secretaría General de la Presidencia",
            "las universidades estatales", "la Dirección de Compras Públicas", "los gobiernos regionales",
            "la Biblioteca del Congreso Nacional", "el Servicio Civil", "las empresas sanitarias",
            "la Defensoría Penal Pública", "las municipalidades rurales", "el Congreso Nacional")
VERBS = ("publique en formato abierto", "rinda cuenta cada seis meses sobre", "consulte a las organizaciones sobre",
         "facilite el acceso ciudadano a", "mejore la calidad y la oportunidad de", "audite de forma independiente",
         "explique en lenguaje claro", "abra a la participación temprana", "mida y publique indicadores de",
         "capacite a sus funcionarios en", "integre en un solo portal", "fiscalice con apoyo ciudadano")
OBJECTS = ("los datos de compras públicas", "la ejecución presupuestaria regional",
           "las solicitudes de acceso a la información", "los registros de lobby y audiencias",
           "los planes de inversión en infraestructura", "los derechos de agua otorgados",
           "las declaraciones de patrimonio e intereses", "los contratos de concesiones",
           "las listas de espera en salud primaria", "los resultados de la fiscalización ambiental",
           "los fondos concursables para organizaciones sociales", "las actas de los concejos municipales",
           "los indicadores de calidad de la educación pública", "la información sobre transporte público")
TAILS = (", con plazos claros y responsables definidos.", " en un lenguaje claro y accesible para todas las personas.",
         ", incluyendo a las comunas más alejadas de la capital.", " y que esa información se actualice cada mes.",
         ", porque hoy la información está dispersa y es difícil de encontrar.",
         " para que la sociedad civil pueda hacer seguimiento real.",
         ", considerando a personas mayores y a personas con discapacidad.",
         " con datos desagregados por región, comuna y género.",
         " y que se publique también en formatos reutilizables.", ", tal como se comprometió en el plan anterior.")
TITLE_TOPICS = ("Datos abiertos de", "Transparencia en", "Participación ciudadana en", "Rendición de cuentas sobre",
                "Portal único para", "Seguimiento ciudadano de", "Lenguaje claro en", "Información oportuna sobre")


@dataclass(frozen=True)
class Sentence:
    text: str
    folded: str
    stems: str
    html: str


@dataclass(frozen=True)
class Text:
    """A text as typed and what the services derive from it."""

    text: str
    folded: str
    stems: str
    html: str


class Pool:
    """Sentences, paragraphs of one or two of them, and titles, made once by a seeded generator;
    a row's text is a few paragraphs, joined in a few microseconds."""

    def __init__(self, rng: random.Random, sentences: int = 1500, paragraphs: int = 20_000):
        self.rng = rng
        made = [self._sentence(self._random_sentence()) for _ in range(sentences)]
        self.titles = [self._sentence(f"{rng.choice(TITLE_TOPICS)} {rng.choice(OBJECTS)} "
                                      f"en {rng.choice(SUBJECTS).split(' ', 1)[1]}"[:200])
                       for _ in range(sentences // 3)]
        self.blocks = []
        for _ in range(paragraphs):
            block = rng.choices(made, k=rng.randint(1, 2))
            self.blocks.append(Text(text=" ".join(s.text for s in block), folded=" ".join(s.folded for s in block),
                                    stems=" ".join(s.stems for s in block if s.stems),
                                    html="<p>" + " ".join(s.text for s in block) + "</p>"))

    def _random_sentence(self) -> str:
        rng = self.rng
        return f"{rng.choice(OPENERS)} {rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(TAILS)}"

    @staticmethod
    def _sentence(text: str) -> Sentence:
        html = render(text)
        # Plain sentences pass the sanitiser untouched; joining their HTML equals rendering the join.
        if html != f"<p>{text}</p>":
            raise RuntimeError(f"unexpected rendering of a generated sentence: {html!r}")
        return Sentence(text, fold(text), " ".join(terms(text)), html)

    def title(self) -> Sentence:
        return self.rng.choice(self.titles)

    def paragraphs(self, count: int) -> Text:
        """`count` paragraphs separated by a blank line, as typed and as the services derive them."""
        if count == 1:
            return self.rng.choice(self.blocks)
        blocks = self.rng.choices(self.blocks, k=count)
        return Text(text="\n\n".join(b.text for b in blocks), folded="\n\n".join(b.folded for b in blocks),
                    stems=" ".join(b.stems for b in blocks if b.stems), html="".join(b.html for b in blocks))
