"""Chile's sixteen regions, north to south, with their official time zone."""
import enum

from flask_babel import lazy_gettext as _l


class Region(enum.Enum):
    AP = "Arica y Parinacota"
    TA = "Tarapacá"
    AN = "Antofagasta"
    AT = "Atacama"
    CO = "Coquimbo"
    VA = "Valparaíso"
    RM = "Metropolitana de Santiago"
    LI = "Libertador General Bernardo O'Higgins"
    ML = "Maule"
    NB = "Ñuble"
    BI = "Biobío"
    AR = "La Araucanía"
    LR = "Los Ríos"
    LL = "Los Lagos"
    AI = "Aysén del General Carlos Ibáñez del Campo"
    MA = "Magallanes y de la Antártica Chilena"

    @property
    def label(self) -> str:
        # Proper names: the same in both languages.
        return self.value

    @property
    def timezone(self) -> str:
        # Magallanes keeps summer time all year; the rest of mainland Chile follows Santiago.
        return "America/Punta_Arenas" if self is Region.MA else "America/Santiago"


NATIONAL_LABEL = _l("National level")
