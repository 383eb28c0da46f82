"""Tortoise models, one module per aggregate; `MODEL_MODULES` is what Tortoise loads."""

MODEL_MODULES = [
    "models.environments",
    "models.institutions",
    "models.users",
    "models.sessions",
    "models.groups",
    "models.studies",
    "models.patients",
    "models.access_log",
    "models.api_clients",
    "models.challenges",
]
