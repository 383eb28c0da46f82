"""Patient login, second factor, payment and authenticator mutations (L4-L6, L12)."""

from __future__ import annotations

from datetime import date

import strawberry

from resolvers import challenges, patient_login, second_factor, totp_enrollment
from resolvers.login import LoginFailure, LoginSuccessful
from schema.context import Context, Info
from schema.convert import login_result
from schema.ids import pk_of
from schema.types import login as t_login
from schema.types import people as t_people
from schema.types.two_factor import TotpEnrollment


def second_factor_required(issued: challenges.ChallengeIssued) -> t_login.SecondFactorRequired:
    challenge = issued.challenge
    return t_login.SecondFactorRequired(
        challenge_id=strawberry.ID(challenge.public_id),
        method=t_login.SecondFactorMethod(challenge.method.value),
        destination_hint=issued.destination_hint,
        expires_at=challenge.expires_at,
    )


def login_outcome(
    ctx: Context,
    outcome: LoginSuccessful | LoginFailure | patient_login.PatientLoginSuccessful
    | challenges.ChallengeIssued | challenges.PaymentDue,
) -> t_login.LoginSuccess | t_login.SecondFactorRequired | t_login.PaymentRequired | t_login.LoginFailed:
    """Every login outcome as its LoginResult member."""
    if isinstance(outcome, challenges.ChallengeIssued):
        return second_factor_required(outcome)
    if isinstance(outcome, challenges.PaymentDue):
        return t_login.PaymentRequired(
            challenge_id=strawberry.ID(outcome.challenge.public_id), amount=outcome.amount,
            currency=outcome.currency, checkout_url=outcome.checkout_url,
        )
    if isinstance(outcome, patient_login.PatientLoginSuccessful):
        access = outcome.access
        return t_login.LoginSuccess(
            viewer=t_people.PatientViewer(
                institution=t_people.Institution.from_model(access.institution, ctx),
                patient_name=access.patient_name,
                expires_at=access.valid_until,
            ),
            expires_at=outcome.expires_at,
            previous_failed_attempts=outcome.previous_failed_attempts,
        )
    return login_result(ctx, outcome)


@strawberry.type
class ChallengeMutations:
    @strawberry.mutation(description="L4-L6: an access code and the patient's date of birth.")
    async def patient_login(
        self, info: Info, access_code: str, date_of_birth: date
    ) -> t_login.LoginResult:
        ctx = info.context
        return login_outcome(ctx, await patient_login.patient_login(ctx, access_code, date_of_birth))

    @strawberry.mutation(description="L5: a new SMS or e-mail code (at most 3, 30 s apart).")
    async def send_second_factor_code(
        self, info: Info, challenge_id: strawberry.ID
    ) -> t_login.SecondFactorRequired:
        return second_factor_required(await challenges.resend(info.context, str(challenge_id)))

    @strawberry.mutation(description="L5, L12: the code completes the login with a new session.")
    async def verify_second_factor(
        self, info: Info, challenge_id: strawberry.ID, code: str
    ) -> t_login.LoginResult:
        ctx = info.context
        return login_outcome(
            ctx, await second_factor.verify_second_factor(ctx, str(challenge_id), code))

    @strawberry.mutation(description="L12: a new TOTP secret, pending until its first code.")
    async def start_totp_enrollment(self, info: Info) -> TotpEnrollment:
        started = await totp_enrollment.start_enrollment(info.context)
        return TotpEnrollment(
            enrollment_id=strawberry.ID(started.enrollment_id), secret=started.secret,
            provisioning_uri=started.provisioning_uri,
        )

    @strawberry.mutation(description="L12: the first valid code enrols the authenticator (max 5).")
    async def confirm_totp_enrollment(
        self, info: Info, enrollment_id: strawberry.ID, code: str, label: str
    ) -> list[t_people.Authenticator]:
        rows = await totp_enrollment.confirm_enrollment(
            info.context, str(enrollment_id), code, label)
        return [t_people.Authenticator.from_model(a) for a in rows]

    @strawberry.mutation(description="L12: removes one of the viewer's own authenticators.")
    async def remove_authenticator(
        self, info: Info, id: strawberry.ID
    ) -> list[t_people.Authenticator]:
        rows = await totp_enrollment.remove_authenticator(
            info.context, pk_of(id, "Authenticator", "id"))
        return [t_people.Authenticator.from_model(a) for a in rows]
