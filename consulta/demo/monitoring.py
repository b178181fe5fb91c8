"""Implementation of the 4th plan: each responsible entity's reporter reports on its commitments.

Commitment N° 4 (the Consejo para la Transparencia) reads on "estado al 1 de diciembre de 2019" as the
seed shows it — the first two activities cumplido, the last two en proceso ("plazo cumplido y en
proceso") — and today's view shows how they ended: the third completed, the fourth never reported
done, so late. The other commitments make the tracker a mix: activities completed on time, some
completed late (the social unrest of October 2019 and the pandemic of 2020 put workshops off), some
never reported done (late); N° 7's reporter went silent after March 2019, so from October 2019 it has
had no report in six months; two reports were corrected. On N° 4's report that the adhesions were
signed, the Mesa's civil-society member asks a question and the Consejo answers in the thread. Every report is dated inside the
implementation phase, which ended in August 2020: today every activity has ended. N° 4's activities
also name their deliverable and the milestone that shows each done.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from consulta.commitments import services as commitments
from consulta.consultation import services as consultation
from consulta.consultation.models import Alignment
from consulta.cycles.models import PhaseKind
from consulta.demo.base import ACCOUNTS
from consulta.demo.loader import Demo, during
from consulta.demo.timeline import Timeline, local_moment
from consulta.jurisdictions.models import Role
from consulta.monitoring import services as monitoring


@dataclass(frozen=True)
class Correction:
    days_later: int
    reason: str
    percent: int
    text: str


@dataclass(frozen=True)
class Report:
    number: int
    # The activity's position in its commitment.
    position: int
    on: date
    # None: reported done, with the entity's evidence link.
    percent: int | None
    text: str
    correction: Correction | None = None


# Where each entity's evidence is published.
EVIDENCE = {
    "Consejo para la Transparencia": "https://www.consejotransparencia.cl/gobierno-abierto-municipal/",
    "Dirección Nacional del Servicio Civil": "https://www.serviciocivil.cl/",
    "Biblioteca del Congreso Nacional": "https://www.bcn.cl/",
    "Defensoría Penal Pública": "https://www.dpp.cl/",
    "Ministerio Secretaría General de la Presidencia": "https://www.minsegpres.gob.cl/",
    "Contraloría General de la República": "https://www.contraloria.cl/",
    "Dirección General de Aguas – Ministerio de Obras Públicas": "https://dga.mop.gob.cl/",
    "División de Organizaciones Sociales – Ministerio Secretaría General de Gobierno": "https://www.dos.gob.cl/",
    "Unidad de Análisis Financiero": "https://www.uaf.cl/",
    "Dirección de Compras y Contratación Pública (ChileCompra)": "https://www.chilecompra.cl/",
}

# What N° 4's activities deliver and the milestone that shows each done, completed by the moderation
# team as implementation began (the seed names the activity and its deliverable together).
DETAILS_OF_4 = (
    ("El Modelo de Gobierno Abierto Municipal y su instrumental de implementación.",
     "El Modelo y sus instrumentos, publicados en el sitio del Consejo para la Transparencia."),
    ("Las actas de adhesión firmadas por alcaldes y alcaldesas.", "Las actas de adhesión, publicadas."),
    ("Los diagnósticos municipales y los planes locales de acción.",
     "El diagnóstico de cada municipio adherido, publicado."),
    ("Los informes de asesoría y de monitoreo.", "El informe final de monitoreo, publicado."),
)

# (commitment, activity position, report day): the Mesa's question and the entity's answer, days later.
DIALOGUE = ((4, 1, date(2019, 10, 28)), "mesa_sociedad_civil",
            "¿Cuántos de los municipios que firmaron están en regiones alejadas de la capital? El compromiso "
            "pone el énfasis en ellos.",
            "Por ahora casi todas son de la Región Metropolitana; las invitaciones a municipios de regiones "
            "extremas salen este año. El seguimiento municipal muestra el estado y el acta de cada uno.")

R = Report
REPORTS = (
    # N° 4, as the seed shows it on 1 December 2019.
    R(4, 0, date(2019, 4, 26), None, "El Modelo quedó sistematizado junto con su instrumental de implementación."),
    R(4, 1, date(2019, 7, 15), 50, "Se firmaron las primeras adhesiones de alcaldes y alcaldesas."),
    R(4, 1, date(2019, 10, 28), None,
      "La difusión terminó con las firmas de adhesión de los municipios participantes."),
    R(4, 2, date(2019, 9, 30), 40, "Se capacitó a los primeros equipos municipales en los instrumentos."),
    R(4, 2, date(2020, 3, 27), None, "Terminaron las capacitaciones y los diagnósticos participativos."),
    R(4, 3, date(2019, 11, 15), 35, "Comenzó la asesoría para la implementación en los municipios adheridos."),
    R(4, 3, date(2020, 6, 30), 80, "La asesoría continúa; el monitoreo se atrasó por la emergencia sanitaria."),
    # N° 1: completed on time.
    R(1, 0, date(2019, 3, 15), 40, "Se aplicó una encuesta a los encargados de capacitación de 180 servicios sobre "
                                   "sus cursos de probidad e integridad."),
    R(1, 0, date(2019, 5, 24), None, "Se publicó el diagnóstico de la oferta de formación en integridad: la mitad "
                                     "de los servicios no ofrece cursos sobre la materia."),
    R(1, 1, date(2019, 7, 12), 50, "El borrador del Plan se discutió en tres talleres con las asociaciones de "
                                   "funcionarios."),
    R(1, 1, date(2019, 10, 25), None, "El Plan Nacional de formación cívica en integridad quedó validado y "
                                      "aprobado por la Dirección."),
    R(1, 2, date(2020, 1, 17), 30, "Se abrió la primera versión del curso en línea de probidad, con 4.200 "
                                   "funcionarios inscritos."),
    R(1, 2, date(2020, 5, 29), 70, "Tres cohortes terminaron el curso. La evaluación de resultados se hace a "
                                   "distancia por la emergencia sanitaria."),
    R(1, 2, date(2020, 8, 28), None, "Se publicó el informe de evaluación de los cursos: 11.350 funcionarios "
                                     "aprobados en 2020."),
    # N° 2: the regional workshops ended late; a count corrected.
    R(2, 0, date(2019, 4, 22), None, "Los contenidos del programa quedaron definidos en cinco módulos, revisados "
                                     "por la Red Académica de Gobierno Abierto."),
    R(2, 1, date(2019, 8, 14), 40, "Se realizaron talleres en Antofagasta, Valparaíso y Concepción, con 230 "
                                   "participantes."),
    R(2, 1, date(2019, 11, 29), 60, "Los talleres de Temuco y Puerto Montt se suspendieron por las movilizaciones "
                                    "sociales de octubre y se reprogramaron para enero."),
    R(2, 1, date(2020, 1, 24), None, "Terminaron los talleres reprogramados: ocho regiones y 540 participantes en "
                                     "total. El informe final está publicado."),
    R(2, 2, date(2019, 12, 10), 60, "El curso en línea está grabado y se abrió la inscripción: 3.100 personas "
                                    "inscritas.",
      Correction(9, "Se habían contado como inscritas personas que no completaron el registro.", 55,
                 "El curso en línea está grabado y se abrió la inscripción: 2.840 personas inscritas.")),
    R(2, 2, date(2020, 6, 25), None, "Se entregaron los certificados de la primera versión del curso: 1.920 "
                                     "personas lo aprobaron."),
    # N° 3: the consultation of cases never went live.
    R(3, 0, date(2019, 4, 10), 50, "Se reescribieron en lenguaje claro las fichas de derechos de las personas "
                                   "imputadas y la guía de audiencias."),
    R(3, 0, date(2019, 8, 29), None, "La sección en lenguaje claro está publicada en el sitio de la Defensoría, "
                                     "con videos subtitulados."),
    R(3, 1, date(2019, 7, 1), 30, "Se convocó a usuarios, usuarias y familiares en cuatro regiones para formar "
                                  "el consejo."),
    R(3, 1, date(2020, 3, 10), None, "El consejo de usuarios y usuarias quedó constituido y celebró su primera "
                                     "sesión; el acta está publicada."),
    R(3, 2, date(2020, 1, 15), 45, "El sistema de consulta de causas está en desarrollo y se probó con usuarios "
                                   "de la Región Metropolitana."),
    R(3, 2, date(2020, 6, 30), 70, "La puesta en marcha del sistema se postergó: el equipo se destinó a la "
                                   "atención remota durante la pandemia."),
    # N° 5: reports stopped in September 2019.
    R(5, 0, date(2019, 3, 20), 50, "El borrador del protocolo se trabajó con organizaciones de personas sordas, "
                                   "de personas con discapacidad y de pueblos originarios."),
    R(5, 0, date(2019, 6, 27), None, "El protocolo de atención inclusiva se aprobó y se envió a todos los "
                                     "servicios."),
    R(5, 1, date(2019, 9, 16), 30, "Se formó a un primer grupo de 120 funcionarios de atención de público en "
                                   "lengua de señas chilena."),
    # N° 6: the strategic plan was approved late.
    R(6, 0, date(2019, 6, 14), None, "Se publicó el levantamiento de los códigos de ética de 240 servicios y de "
                                     "su seguimiento."),
    R(6, 1, date(2019, 9, 30), 50, "Se realizaron cuatro jornadas de trabajo con las asociaciones de funcionarios "
                                   "sobre los ejes del plan."),
    R(6, 1, date(2020, 2, 14), None, "El plan estratégico del Sistema de Integridad Pública está aprobado y "
                                     "publicado; su validación con las asociaciones tomó más de lo previsto."),
    R(6, 2, date(2020, 5, 29), 40, "Se definieron los indicadores de integridad y se pidió la información a los "
                                   "servicios."),
    R(6, 2, date(2020, 8, 31), None, "Se publicaron los primeros indicadores de integridad de 198 servicios, "
                                     "comparables entre sí."),
    # N° 7: one report, then nothing.
    R(7, 0, date(2019, 3, 29), 20, "Se diseñó la campaña de difusión de los ODS y se eligieron los servicios y "
                                   "municipios donde comenzará."),
    # N° 8: a count corrected; the basin councils did not all meet.
    R(8, 0, date(2019, 4, 15), 60, "El registro de derechos de aprovechamiento de seis regiones ya se descarga en "
                                   "formato abierto."),
    R(8, 0, date(2019, 7, 30), None, "El registro completo de derechos de aprovechamiento de aguas está publicado "
                                     "en formato abierto y se actualiza cada mes."),
    R(8, 1, date(2019, 7, 5), 35, "Se publican en línea los datos de 140 de las 400 estaciones de monitoreo de "
                                  "cuencas.",
      Correction(6, "Se habían contado 40 estaciones instaladas que todavía no transmiten datos.", 25,
                 "Se publican en línea los datos de 100 de las 400 estaciones de monitoreo de cuencas.")),
    R(8, 1, date(2020, 1, 28), None, "Los datos de las 400 estaciones de monitoreo de cuencas están publicados en "
                                     "línea y se descargan en formato abierto."),
    R(8, 2, date(2019, 11, 20), 30, "Se constituyó la mesa de la cuenca del río Maipo; las de Copiapó y "
                                    "Aconcagua se convocarán en 2020."),
    R(8, 2, date(2020, 8, 10), 75, "La mesa del Aconcagua sesionó en línea; la de Copiapó quedó pendiente por la "
                                   "emergencia sanitaria."),
    # N° 9: the follow-up of recommendations is unfinished.
    R(9, 0, date(2019, 5, 30), None, "Se publicó la norma de estándares mínimos de funcionamiento de los Consejos "
                                     "de la Sociedad Civil."),
    R(9, 1, date(2019, 10, 8), 50, "Se formaron 310 consejeros y consejeras en seis regiones."),
    R(9, 1, date(2020, 3, 27), None, "El programa de formación terminó con 720 consejeros y consejeras formados "
                                     "en las dieciséis regiones."),
    R(9, 2, date(2020, 1, 20), 20, "Se diseñó el registro público de las recomendaciones de los consejos y de las "
                                   "respuestas de los servicios."),
    R(9, 2, date(2020, 7, 30), 60, "El registro publica las recomendaciones de 40 servicios; faltan las respuestas "
                                   "de la mayoría."),
    # N° 10: the policy was delivered after its date.
    R(10, 0, date(2019, 8, 20), None, "Se publicó el diagnóstico de las prácticas de datos abiertos y de "
                                      "protección de datos personales en 300 órganos del Estado."),
    R(10, 1, date(2019, 12, 16), 50, "El borrador de la política se sometió a consulta pública y recibió 85 "
                                     "observaciones."),
    R(10, 1, date(2020, 8, 14), None, "La propuesta de política de datos abiertos y protección de datos se "
                                      "entregó al Ministerio Secretaría General de la Presidencia."),
    # N° 11: completed on time.
    R(11, 0, date(2019, 5, 20), 50, "Se realizaron tres mesas de trabajo con la sociedad civil, la academia y el "
                                    "sector privado."),
    R(11, 0, date(2019, 9, 26), None, "Terminaron las mesas de trabajo y sus conclusiones están publicadas."),
    R(11, 1, date(2020, 2, 28), 40, "El borrador de la propuesta incorpora los estándares internacionales sobre "
                                    "beneficiarios finales."),
    R(11, 1, date(2020, 8, 27), None, "La propuesta de política para un registro de beneficiarios finales está "
                                      "publicada y se envió al Ministerio de Hacienda."),
    # N° 12: the workshops stopped with the pandemic.
    R(12, 0, date(2019, 6, 28), None, "Los datos de las órdenes de compra y de las licitaciones se publican bajo "
                                      "el estándar OCDS."),
    R(12, 1, date(2019, 10, 15), 70, "La herramienta de consulta de los datos OCDS está en prueba con "
                                     "organizaciones de la sociedad civil."),
    R(12, 1, date(2019, 12, 20), None, "La herramienta de consulta y visualización de los datos OCDS está abierta "
                                       "a todo público."),
    R(12, 2, date(2020, 1, 10), 40, "Se realizaron dos talleres de uso de datos de contratación abierta con "
                                    "periodistas."),
    R(12, 2, date(2020, 4, 20), 50, "Los talleres presenciales se suspendieron por la emergencia sanitaria; se "
                                    "preparan en formato en línea."),
)


def _reporter_keys() -> dict[str, str]:
    """Entity name -> the demo account that reports for it (base.ACCOUNTS)."""
    return {entity: key for key, _name, roles in ACCOUNTS for role, _slug, entity in roles if role is Role.REPORTER}


@during(PhaseKind.IMPLEMENTATION)
def progress_reports(demo: Demo, cycle, phase) -> None:
    if cycle.code != "PA4":
        return
    reporters = _reporter_keys()
    tz = cycle.jurisdiction.timezone
    activities = {commitment.number: commitment.activities for commitment in commitments.plan(cycle)}
    for activity, (deliverable, milestone) in zip(activities[4], DETAILS_OF_4, strict=True):
        monitoring.update_activity(activity, name=activity.name, starts_on=activity.starts_on,
                                   ends_on=activity.ends_on, description="", deliverable=deliverable,
                                   milestone=milestone, entity=None, actor=demo.users["moderacion"])
    timeline = Timeline()
    for item in REPORTS:
        activity = activities[item.number][item.position]
        entity = activity.responsible_entity.name
        reporter = demo.users[reporters[entity]]
        links = (EVIDENCE[entity],) if item.percent is None else ()
        sent = {}
        if (item.number, item.position, item.on) == DIALOGUE[0]:
            _discuss(timeline, demo, item.on, sent, reporter, tz)

        def submit(activity=activity, item=item, reporter=reporter, links=links, sent=sent):
            sent["report"] = monitoring.submit_report(
                activity, reporter=reporter, reported_on=item.on, narrative=item.text, percent=item.percent,
                done=item.percent is None, links=links)

        # Reported at midday, local time, on the day it covers.
        timeline.at(local_moment(item.on, 12, 0, tz), submit)
        if item.correction:
            fix = item.correction
            timeline.at(local_moment(item.on + timedelta(days=fix.days_later), 10, 30, tz),
                        lambda fix=fix, item=item, reporter=reporter, sent=sent: monitoring.correct_report(
                            sent["report"], reporter=reporter, reason=fix.reason, reported_on=item.on,
                            narrative=fix.text, percent=fix.percent))
    timeline.play()
    corrected = sum(1 for item in REPORTS if item.correction)
    demo.log(f"monitoring: {len(REPORTS)} progress reports on {len(activities)} commitments, {corrected} corrected")


def _discuss(timeline: Timeline, demo: Demo, reported_on: date, sent: dict, reporter, tz) -> None:
    _key, asker, question, answer = DIALOGUE
    asked = {}
    timeline.at(local_moment(reported_on + timedelta(days=3), 18, 40, tz), lambda: asked.update(
        comment=consultation.post_comment(sent["report"], author=demo.users[asker], text=question,
                                          alignment=Alignment.NEUTRAL)))
    timeline.at(local_moment(reported_on + timedelta(days=5), 9, 15, tz), lambda: consultation.post_comment(
        None, reply_to=asked["comment"], author=reporter, text=answer))
