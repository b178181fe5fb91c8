from flask import Blueprint

bp = Blueprint("municipal", __name__, url_prefix="/municipios")

from consulta.municipal import models, rules, views  # noqa: E402,F401  (models, rules and routes register on import)


def init_app(app):
    from consulta.jurisdictions.regions import Region
    from consulta.municipal.services import DEFAULT_FAR_REGIONS

    # Regions far from the capital, highlighted in the follow-up (Compromiso N° 4's emphasis).
    far = app.config.setdefault("MUNICIPAL_FAR_REGIONS", DEFAULT_FAR_REGIONS)
    if isinstance(far, str):  # as read from the environment: "AP,TA,AN"
        far = app.config["MUNICIPAL_FAR_REGIONS"] = tuple(code.strip() for code in far.split(",") if code.strip())
    unknown = [code for code in far if code not in Region.__members__]
    if unknown:
        raise RuntimeError(f"MUNICIPAL_FAR_REGIONS has unknown region codes: {', '.join(unknown)}")
