"""Plausible Spanish text for the demo's synthetic proposals, comments and minutes.

Built from topic phrases per thematic area, so that proposals in an area resemble each other the
way real ones do (and the similarity step has something to find), reproducibly from a seed.
"""
import random

AREAS = (
    "Recursos naturales y medio ambiente",
    "Políticas sociales y educacionales",
    "Modernización del Estado",
    "Transparencia e integridad",
)

TOPICS = {
    AREAS[0]: (
        ("datos abiertos sobre derechos de agua", "la información sobre derechos de aprovechamiento de agua está dispersa y no es reutilizable"),
        ("monitoreo ciudadano de la calidad del aire", "las comunas no tienen acceso oportuno a las mediciones de calidad del aire"),
        ("registro público de glaciares y cuencas", "no existe un registro público y actualizado del estado de las cuencas"),
        ("participación en evaluaciones ambientales", "las comunidades se enteran tarde de los proyectos que se evalúan en su territorio"),
        ("transparencia en la gestión de residuos", "los contratos de recolección de residuos son difíciles de conocer"),
        ("información sobre zonas de sacrificio", "las personas que viven en zonas saturadas no conocen los planes de descontaminación"),
        ("acceso a la información de permisos forestales", "los permisos de tala y reforestación no se publican de forma ordenada"),
        ("seguimiento de compromisos climáticos", "no hay un tablero público del avance de los compromisos de cambio climático"),
    ),
    AREAS[1]: (
        ("formación cívica en escuelas públicas", "los estudiantes egresan sin conocer los mecanismos de participación"),
        ("datos abiertos de matrícula y asistencia escolar", "los datos educativos se publican tarde y en formatos cerrados"),
        ("participación de pacientes en la salud primaria", "los consejos de salud no tienen información para opinar"),
        ("transparencia en listas de espera", "las listas de espera de salud no son comprensibles para las personas"),
        ("acceso a beneficios sociales en lenguaje claro", "los requisitos de los beneficios sociales están escritos en un lenguaje difícil"),
        ("inclusión de personas con discapacidad en la atención", "los servicios no cuentan con atención inclusiva para personas sordas"),
        ("presupuestos participativos juveniles", "la juventud no tiene espacios para decidir sobre recursos públicos"),
        ("información sobre programas para personas mayores", "las personas mayores desconocen los programas a los que pueden acceder"),
    ),
    AREAS[2]: (
        ("trámites digitales con atención presencial", "muchas personas no pueden completar trámites que solo existen en línea"),
        ("justicia abierta y lenguaje claro en las sentencias", "las resoluciones judiciales no se entienden sin ayuda de un abogado"),
        ("gobierno abierto en los municipios", "los municipios no tienen herramientas para diagnosticar su apertura"),
        ("consejos de la sociedad civil con incidencia real", "los consejos de la sociedad civil no reciben respuesta a sus propuestas"),
        ("interoperabilidad de datos entre servicios", "las personas deben entregar los mismos certificados a distintos servicios"),
        ("capacitación de funcionarios en gobierno abierto", "los funcionarios no conocen los principios de gobierno abierto"),
        ("rendición de cuentas participativa de los municipios", "las cuentas públicas municipales no permiten preguntas de la comunidad"),
        ("atención ciudadana en pueblos originarios", "la atención no considera las lenguas de los pueblos originarios"),
    ),
    AREAS[3]: (
        ("registro de beneficiarios finales de empresas", "no se sabe quiénes son los dueños reales de las empresas que contratan con el Estado"),
        ("datos abiertos de compras públicas", "la información de compras públicas no sigue un estándar reutilizable"),
        ("lobby y agenda pública de autoridades", "los registros de lobby son incompletos en algunos servicios"),
        ("protección de denunciantes de corrupción", "las personas que denuncian irregularidades no tienen protección suficiente"),
        ("declaraciones de patrimonio e intereses", "las declaraciones de patrimonio no se pueden comparar entre años"),
        ("transparencia activa en corporaciones municipales", "las corporaciones municipales no publican sus contrataciones"),
        ("sistema de integridad en los servicios públicos", "los códigos de ética no tienen seguimiento ni indicadores"),
        ("seguimiento de los Objetivos de Desarrollo Sostenible", "no existe un seguimiento público de los ODS vinculado a políticas"),
    ),
}

VERBS = ("Crear", "Implementar", "Fortalecer", "Impulsar", "Desarrollar", "Promover")
ACTIONS = (
    "publicar la información en formato abierto y actualizarla cada mes",
    "realizar mesas con la comunidad para definir prioridades y publicar sus acuerdos",
    "crear un portal público con indicadores y responsables de cada avance",
    "capacitar a los equipos responsables y medir los resultados con la ciudadanía",
    "establecer un procedimiento de respuesta fundada a cada aporte ciudadano",
    "pilotear la iniciativa en tres regiones, incluyendo una alejada de la capital",
)


def proposal_text(rng: random.Random, area: str, *, topic_index: int | None = None) -> dict:
    """A title, problem and proposal for `area`; the same topic_index gives near-duplicates."""
    topics = TOPICS[area]
    topic, problem = topics[topic_index if topic_index is not None else rng.randrange(len(topics))]
    verb = rng.choice(VERBS)
    actions = rng.sample(ACTIONS, 2)
    return {
        "title": f"{verb} {topic}",
        "problem": f"Hoy {problem}. Esto afecta la confianza en las instituciones y limita la participación.",
        "body": (f"Proponemos {actions[0]}. Además, {actions[1]}. "
                 f"La propuesta se centra en {topic} y puede medirse durante la vigencia del plan."),
    }


COMMENT_OPENINGS = (
    "Apoyamos este compromiso, pero", "Nos parece un avance importante;", "Creemos que falta precisar que",
    "Sugerimos agregar que", "No estamos de acuerdo con el plazo:", "Valoramos la propuesta y pedimos que",
)
COMMENT_ENDINGS = (
    "se incluya a las regiones alejadas de la capital.", "los hitos tengan fechas verificables.",
    "se publiquen los datos en formato abierto.", "la sociedad civil participe en el seguimiento.",
    "se consideren los municipios pequeños.", "el lenguaje de los entregables sea claro.",
)


def comment_text(rng: random.Random) -> str:
    return f"{rng.choice(COMMENT_OPENINGS)} {rng.choice(COMMENT_ENDINGS)}"
