"""From resolver results (models, dataclasses) to Strawberry types."""

from __future__ import annotations

from auth.viewer import ApiClientViewer, PatientViewer, UserViewer
from models.institutions import Institution as InstitutionModel
from resolvers.login import LoginFailure, LoginSuccessful
from schema.context import Context
from schema.types import login as t_login
from schema.types import people as t_people


def viewer_type(ctx: Context) -> t_people.User | t_people.PatientViewer | t_people.ApiClient | None:
    viewer = ctx.viewer
    if isinstance(viewer, UserViewer):
        return t_people.User.from_model(viewer.user)
    if isinstance(viewer, PatientViewer):
        access = viewer.access
        return t_people.PatientViewer(
            institution=t_people.Institution.from_model(access.institution, ctx),
            patient_name=access.patient_name,
            expires_at=access.valid_until,
        )
    if isinstance(viewer, ApiClientViewer):
        client = viewer.client
        return t_people.ApiClient(
            name=client.name,
            institution=t_people.Institution.from_model(client.institution, ctx),
            scopes=client.scopes,
        )
    return None


def login_result(
    ctx: Context, outcome: LoginSuccessful | LoginFailure
) -> t_login.LoginSuccess | t_login.LoginFailed:
    if isinstance(outcome, LoginFailure):
        return t_login.LoginFailed(
            reason=t_login.LoginFailureReason(outcome.reason),
            message=outcome.message,
            retry_after_seconds=outcome.retry_after_seconds,
        )
    return t_login.LoginSuccess(
        viewer=t_people.User.from_model(outcome.user),
        expires_at=outcome.expires_at,
        previous_failed_attempts=outcome.previous_failed_attempts,
    )


def institution(inst: InstitutionModel, ctx: Context) -> t_people.Institution:
    return t_people.Institution.from_model(inst, ctx)
