"""Who sees whom: `node` on a User (A5) and `User.email` (contract: only to the user, the
service desk and administrators of a shared group). Found by the fuzzer: a self-join on
group memberships made these queries fail."""

from models.users import AccountRole
from schema.ids import to_global_id
from tests import factories as f

Q = "query($id: ID!) { node(id: $id) { ... on User { username email } } }"


async def test_A5_users_are_visible_to_themselves_colleagues_and_the_service_desk_only(api_factory):
    env = await f.environment()
    admin, member, target, stranger = [await f.user(env, f"{n}@example.be") for n in
                                       ("admin", "member", "target", "stranger")]
    desk = await f.user(env, "desk@example.be", role=AccountRole.SERVICE_DESK)
    await f.group(env, "Praktijk", [(admin, True), (member, False), (target, False)])
    target_id = to_global_id("User", target.id)

    async def look(viewer):
        api = api_factory().with_session(await f.session_cookie(env, viewer))
        return await api.gql(Q, {"id": target_id})

    assert (await look(target))["data"]["node"]["email"] == "target@example.be"
    assert (await look(desk))["data"]["node"]["email"] == "target@example.be"
    assert (await look(admin))["data"]["node"]["email"] == "target@example.be"
    colleague = await look(member)
    assert colleague["data"]["node"] == {"username": "target@example.be", "email": None}
    hidden = await look(stranger)
    assert hidden["data"]["node"] is None
    assert hidden["errors"][0]["extensions"]["code"] == "NOT_FOUND"
