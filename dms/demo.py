"""The demo commune that `make run` prepares."""

DEMO_TENANT = "demo"
DEMO_TENANT_NAME = "Commune de Démo"
DEMO_CLERK = "greffe@demo.example"
