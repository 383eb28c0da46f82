from models.environments import Environment


async def test_database_starts_empty_and_accepts_rows(db):
    assert await Environment.all().count() == 0
    await Environment.create(code="BE", name="Belgium", country="BE", portal_url="https://be.example")
    assert await Environment.all().count() == 1


async def test_each_test_starts_from_an_empty_database(db):
    assert await Environment.all().count() == 0
