"""The sectors that take part in a cycle: shared by organisations, windows and proposals."""
import enum

from flask_babel import lazy_gettext as _l


class Sector(enum.Enum):
    CIUDADANIA = "ciudadania"
    OSC = "osc"
    SERVICIO_PUBLICO = "servicio_publico"
    ACADEMIA = "academia"
    SECTOR_PRIVADO = "sector_privado"

    @property
    def label(self):
        return SECTOR_LABELS[self]


SECTOR_LABELS = {
    Sector.CIUDADANIA: _l("Citizens"),
    Sector.OSC: _l("Civil-society organisation"),
    Sector.SERVICIO_PUBLICO: _l("Public agency"),
    Sector.ACADEMIA: _l("Academia"),
    Sector.SECTOR_PRIVADO: _l("Private sector"),
}

# A person alone takes part as ciudadanía; these only through a verified organisation.
ORGANISATION_SECTORS = (Sector.OSC, Sector.SERVICIO_PUBLICO, Sector.ACADEMIA, Sector.SECTOR_PRIVADO)
