from consulta.organisations import bp  # noqa: F401  (routes come with the organisations work)
