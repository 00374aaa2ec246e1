"""Global search: pinyin, initials, characters, phones, emails, tax numbers; scoped and ranked."""

import pytest

from guanxi.core import services as core
from guanxi.core.search import global_search, query_terms, tokens_for_name
from guanxi.customers.services import create_account, create_contact

pytestmark = pytest.mark.django_db


def titles(user, q):
    return [hit.title for hit in global_search(user, q)]


@pytest.fixture
def zhangsan(org):
    account = create_account(
        org.east_rep, {"name": "上海星辰机械有限公司", "tax_number": "91350100M000100Y43"}
    )
    create_contact(
        org.east_rep,
        {
            "name": "张三",
            "account": account,
            "mobile": "13800138000",
            "email": "zhang.san@example.com",
        },
    )
    return account


@pytest.mark.parametrize(
    "query",
    [
        "zhangsan",
        "zs",
        "张",
        "张三",
        "三",
        "zhang san",
        "8000",
        "13800138000",
        "zhang.san@example.com",
    ],
)
def test_contact_found_by(org, zhangsan, query):
    assert "张三" in titles(org.east_rep, query)


@pytest.mark.parametrize(
    "query", ["xingchen", "xc", "星辰", "shxcjx", "91350100M000100Y43", "913501"]
)
def test_account_found_by(org, zhangsan, query):
    assert titles(org.east_rep, query)[:1] == ["上海星辰机械有限公司"]


def test_search_is_scoped_by_visibility(org, zhangsan):
    assert titles(org.west_rep, "zs") == []
    assert "张三" in titles(org.director, "zs")


def test_shared_record_becomes_searchable(org, zhangsan):
    core.share_record(org.east_rep, zhangsan, user=org.west_rep, access="read")
    assert titles(org.west_rep, "xingchen") == ["上海星辰机械有限公司"]


def test_deleted_records_vanish_from_search(org, zhangsan):
    core.delete_record(org.east_rep, zhangsan, expected_version=1)
    assert titles(org.east_rep, "zs") == []


def test_edit_reindexes(org, zhangsan):
    from guanxi.customers.services import update_account

    update_account(org.east_rep, zhangsan, {"name": "北京月亮贸易"}, expected_version=1)
    assert titles(org.east_rep, "xingchen") == []
    assert titles(org.east_rep, "yueliang") == ["北京月亮贸易"]


def test_nonsense_query_finds_nothing(org, zhangsan):
    assert titles(org.east_rep, "'\"*) OR 1=1 --") == []


def test_tokens_cover_pinyin_initials_and_suffixes():
    tokens = tokens_for_name("张三")
    assert {"张三", "三", "zhangsan", "san", "zs", "s"} <= set(tokens)


def test_query_terms_drop_punctuation():
    assert query_terms("Zhang.San@Example.com") == ["zhang", "san", "example", "com"]


def test_postgresql_indexes_every_searchable_table_on_the_costed_function(db):
    from django.db import connection

    from guanxi.core.search import SEARCH_VECTOR, searchable_models

    if connection.vendor != "postgresql":
        pytest.skip("the GIN index is PostgreSQL's")
    tables = [m._meta.db_table for m in searchable_models()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexdef FROM pg_indexes"
            " WHERE indexname = tablename || '_search_gin'"
        )
        indexes = dict(cursor.fetchall())
        cursor.execute(
            "SELECT procost, proconfig IS NOT NULL FROM pg_proc WHERE proname = %s", [SEARCH_VECTOR]
        )
        cost, has_settings = cursor.fetchone()

    assert sorted(indexes) == sorted(tables)
    assert all(f"{SEARCH_VECTOR}(search_tokens)" in indexes[t] for t in tables)
    assert cost == 30 and has_settings  # costed, and never inlined (so the cost counts)
