"""Implementation of the 4th plan: the Consejo para la Transparencia reports on commitment N° 4 so
that "estado al 1 de diciembre de 2019" reads as the seed shows it — the first two activities
cumplido, the last two en proceso ("plazo cumplido y en proceso") — and today's view shows how they
ended: the third completed, the fourth never reported done, so late."""
from datetime import UTC, date, datetime, time

from consulta.commitments import services as commitments
from consulta.core import clock
from consulta.cycles.models import PhaseKind
from consulta.demo.loader import Demo, during
from consulta.monitoring import services as monitoring

EVIDENCE = "https://www.consejotransparencia.cl/gobierno-abierto-municipal/"
# (activity position in N° 4, reported on, percent or None when done, narrative)
REPORTS = (
    (0, date(2019, 4, 26), None, "El Modelo quedó sistematizado junto con su instrumental de implementación."),
    (1, date(2019, 7, 15), 50, "Se firmaron las primeras adhesiones de alcaldes y alcaldesas."),
    (1, date(2019, 10, 28), None, "La difusión terminó con las firmas de adhesión de los municipios participantes."),
    (2, date(2019, 9, 30), 40, "Se capacitó a los primeros equipos municipales en los instrumentos."),
    (2, date(2020, 3, 27), None, "Terminaron las capacitaciones y los diagnósticos participativos."),
    (3, date(2019, 11, 15), 35, "Comenzó la asesoría para la implementación en los municipios adheridos."),
    (3, date(2020, 6, 30), 80, "La asesoría continúa; el monitoreo se atrasó por la emergencia sanitaria."),
)


@during(PhaseKind.IMPLEMENTATION)
def progress_reports(demo: Demo, cycle, phase) -> None:
    if cycle.code != "PA4":
        return
    reporter = demo.users["reporte_cplt"]
    activities = sorted(commitments.find(cycle, 4).activities, key=lambda activity: (activity.starts_on, activity.id))
    for position, reported_on, percent, narrative in REPORTS:
        # Reported at midday Chilean time (15:00 UTC) on the day it covers.
        clock.set_now(datetime.combine(reported_on, time(15), tzinfo=UTC))
        monitoring.submit_report(activities[position], reporter=reporter, reported_on=reported_on,
                                 narrative=narrative, percent=percent, done=percent is None,
                                 links=(EVIDENCE,) if percent is None else ())
    demo.log(f"monitoring: {len(REPORTS)} progress reports on commitment N° 4")
