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

# A municipality's local plan, in the four areas of the Municipal Model (Renca's).
LOCAL_AREAS = (
    "Transparencia municipal",
    "Rendición de cuentas",
    "Participación ciudadana",
    "Colaboración con la sociedad civil",
)

TOPICS.update({
    LOCAL_AREAS[0]: (
        ("la publicación de los contratos municipales en formato abierto", "los contratos del municipio se publican como documentos escaneados y es difícil revisarlos"),
        ("la información sobre las obras en los barrios", "los vecinos no saben cuándo empiezan ni cuándo terminan las obras en sus calles"),
        ("la transparencia en la entrega de subvenciones", "no se conoce con qué criterios se entregan las subvenciones a las organizaciones"),
        ("actas del concejo municipal en lenguaje claro", "las actas del concejo son largas y técnicas"),
    ),
    LOCAL_AREAS[1]: (
        ("una cuenta pública participativa por territorio", "la cuenta pública anual no permite preguntas de los vecinos"),
        ("el seguimiento público de los compromisos municipales", "no existe un lugar donde ver el avance de los compromisos del municipio"),
        ("un presupuesto municipal explicado a los vecinos", "el presupuesto municipal es incomprensible para la mayoría de los vecinos"),
    ),
    LOCAL_AREAS[2]: (
        ("presupuestos participativos en cada unidad vecinal", "los vecinos no deciden sobre ninguna parte del presupuesto comunal"),
        ("sesiones abiertas del consejo comunal de la sociedad civil", "el consejo comunal de la sociedad civil sesiona sin difusión"),
        ("la participación de niños y jóvenes en el diseño de plazas", "las plazas se diseñan sin consultar a quienes las usan"),
        ("una atención municipal en horarios compatibles con el trabajo", "muchas personas no pueden hacer trámites en horario de oficina"),
    ),
    LOCAL_AREAS[3]: (
        ("mesas de trabajo permanentes con las juntas de vecinos", "las juntas de vecinos no tienen un canal estable con el municipio"),
        ("datos abiertos municipales para proyectos de la comunidad", "las organizaciones no pueden usar los datos municipales en sus proyectos"),
        ("alianzas con universidades para evaluar los programas comunales", "los programas municipales no se evalúan de forma independiente"),
    ),
})

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


EDIT_ADDITIONS = (
    "Tras conversar con otras organizaciones, agregamos que los resultados deben publicarse por región.",
    "Precisamos que la propuesta debe incluir indicadores de avance semestrales.",
    "Corregimos el plazo: la primera etapa debería terminar en un año.",
    "Sumamos la necesidad de consultar a las personas con discapacidad en el diseño.",
    "Aclaramos que la información debe estar disponible también en lenguaje claro.",
)


def edited_text(rng: random.Random, text: dict) -> dict:
    """The same proposal, revised by its author while the window is open."""
    return {**text, "body": f"{text['body']} {rng.choice(EDIT_ADDITIONS)}"}


def reworded_text(rng: random.Random, area: str, topic_index: int) -> dict:
    """Another author's take on a topic already proposed: what the similar-proposals step finds."""
    text = proposal_text(rng, area, topic_index=topic_index)
    return {**text, "body": f"{text['body']} Nos sumamos a otras voces que han planteado lo mismo."}


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


MINUTES_AGREEMENTS = (
    "priorizar las propuestas que incluyen a regiones alejadas de la capital",
    "pedir a las instituciones responsables hitos verificables y fechas de término",
    "agrupar las propuestas que plantean lo mismo antes de la sistematización",
    "publicar los datos en formato abierto como condición de todo compromiso",
    "incorporar a la sociedad civil en el seguimiento de la implementación",
    "consultar a los municipios pequeños antes de definir las actividades",
)


def minutes_text(rng: random.Random, *, area: str, place: str, discussed: list[str]) -> str:
    """A table's minutes (simple HTML, as a moderator would write them)."""
    agreements = rng.sample(MINUTES_AGREEMENTS, 3)
    items = "".join(f"<li>{title}</li>" for title in discussed)
    return (f"<p>La mesa de {area.lower()} sesionó en {place}. La moderación presentó la metodología y "
            f"las propuestas recibidas en el área.</p>"
            f"<p><strong>Propuestas conversadas</strong></p><ul>{items}</ul>"
            f"<p><strong>Acuerdos</strong></p><ol>{''.join(f'<li>{agreement.capitalize()}.</li>' for agreement in agreements)}</ol>"
            f"<p>Las propuestas serán sistematizadas y cada una recibirá una respuesta fundada.</p>")


# What a few people send that is no proposal for an action plan: moderators find it not admissible.
OUT_OF_SCOPE = (
    {"title": "Reclamo por cobro excesivo en mi cuenta de agua",
     "problem": "Me llegó una cuenta de agua el triple de lo normal y nadie me responde en la empresa sanitaria.",
     "body": "Pido que revisen mi cuenta y me devuelvan lo cobrado de más."},
    {"title": "Ofrecemos cursos de oratoria con descuento",
     "problem": "Muchas personas tienen miedo de hablar en público.",
     "body": "Inscríbase en nuestros cursos con un 30% de descuento escribiéndonos a nuestro sitio web."},
    {"title": "Quiero cambiar el horario de mi hijo en el colegio",
     "problem": "El horario de la tarde no me acomoda por mi trabajo.",
     "body": "Solicito que el colegio cambie a mi hijo a la jornada de la mañana."},
)
