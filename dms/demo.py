"""The demo commune that `make run` prepares."""

DEMO_TENANT = "demo"
DEMO_TENANT_NAME = "Commune de Démo"
DEMO_CLERK = "greffe@demo.example"
DEMO_PASSWORD = "demo-greffe-2026"  # noqa: S105 (the demo clerk's web password, printed by make run)

#: The demo commune's services, one per kind of sample letter (ingest/samples.py topics), by topic code.
DEMO_SERVICES = {
    "URB": ("urbanisme", "Service de l'urbanisme"),
    "FIN": ("finances", "Service des finances"),
    "EC": ("etat-civil", "Service de l'état civil"),
    "VOI": ("travaux", "Service des travaux et de la voirie"),
    "SUB": ("culture", "Service des sports, de la culture et de la jeunesse"),
    "ENV": ("environnement", "Service de l'environnement"),
    "POP": ("population", "Service de la population"),
}
#: Mail types a commune adds to the seeded list (dms/mail_types.py).
DEMO_MAIL_TYPES = (("avis-enquete", "Avis d'enquête publique"), ("convocation", "Convocation"))
#: Organisations that write to a commune, with the e-mail their mail comes from.
DEMO_ORGANISATIONS = (
    ("SPW Mobilité et Infrastructures", "mobilite@spw.example.be", "Boulevard du Nord 8", "5000", "Namur"),
    ("Intercommunale de gestion des déchets", "contact@idechets.example.be", "Rue de la Station 12", "5030",
     "Gembloux"),
)
