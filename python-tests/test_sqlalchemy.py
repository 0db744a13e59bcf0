"""SQLAlchemy through flightsql-dbapi's `datafusion://` dialect: engine, inspector, pandas.

The dialect runs on flightsql-dbapi's DB-API layer, which reads only the first endpoint of a
FlightInfo, so these tests use the server started with `--result-endpoints single`. The URL
turns on the dialect's prepared statements: without that, it pastes bound values into the
SQL text when it compiles a statement and then caches that text, so a query run again with
another value gets the first value's answer (see docs/clients.md).
"""

import pandas as pd
import pyarrow as pa
import pytest
import sqlalchemy as sa
from sqlalchemy import inspect, text

from helpers import PASSWORD, TPCH_TABLES, USER, assert_tables_match

PREPARED = "feature-sqlalchemy-prepared-statements=on"


def engine_url(srv, credentials: bool = True) -> str:
    # Authentication is off on this server, so any credentials are accepted; they make the
    # client keep its session token, so settings last from one statement to the next.
    user = f"{USER}:{PASSWORD}@" if credentials else ""
    return f"datafusion://{user}127.0.0.1:{srv.port}?insecure=true&{PREPARED}"


@pytest.fixture
def engine(single_endpoint_server):
    engine = sa.create_engine(engine_url(single_endpoint_server))
    yield engine
    engine.dispose()


def rows(engine, sql, **params):
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql), params).fetchall()]


# --- engine ----------------------------------------------------------------------------------------


def test_create_engine_connects_and_learns_the_server_from_sql_info(engine):
    assert rows(engine, "SELECT 1 + 1 AS two") == [(2,)]
    # The dialect's initialize asks GetSqlInfo for the server name and the quote character.
    assert engine.dialect.sql_info[0] == "Trebuchet"
    assert engine.dialect.identifier_preparer.initial_quote == '"'


def test_a_text_query_with_a_bound_parameter(engine):
    assert rows(engine, "SELECT n_name FROM nation WHERE n_nationkey = :key", key=3) == [("CANADA",)]


def test_an_expression_query_run_again_with_another_value(engine):
    nation = sa.Table("nation", sa.MetaData(), autoload_with=engine)
    query = sa.select(nation.c.n_name).where(nation.c.n_nationkey == sa.bindparam("key"))
    with engine.connect() as conn:
        assert conn.execute(query, {"key": 3}).scalar_one() == "CANADA"
        assert conn.execute(query, {"key": 5}).scalar_one() == "ETHIOPIA"
        count = sa.select(sa.func.count()).select_from(nation).where(nation.c.n_name.like("A%"))
        assert conn.execute(count).scalar_one() == 2


def test_settings_last_across_connections_of_an_engine_with_credentials(engine):
    with engine.connect() as conn:
        conn.execute(text("SET datafusion.execution.batch_size = 1234"))
    assert rows(engine, "SHOW datafusion.execution.batch_size") == [("datafusion.execution.batch_size", "1234")]


def test_table_ddl_and_inserts_from_the_expression_language(engine):
    metadata = sa.MetaData()
    made = sa.Table("sqlalchemy_made", metadata, sa.Column("id", sa.BigInteger), sa.Column("name", sa.String))
    # engine.begin(): SQLAlchemy 2 style; the DB-API commit at its end does nothing.
    with engine.begin() as conn:
        metadata.create_all(conn)
        conn.execute(made.insert().values(id=1, name="one"))
        conn.execute(made.insert(), [{"id": 2, "name": "two"}, {"id": 3, "name": "three"}])
        assert [tuple(row) for row in conn.execute(sa.select(made).order_by(made.c.id))] == [
            (1, "one"),
            (2, "two"),
            (3, "three"),
        ]
        metadata.drop_all(conn)
    assert not inspect(engine).has_table("sqlalchemy_made", schema="public")


# --- inspector -------------------------------------------------------------------------------------


def test_inspector_lists_schemas_and_tables(engine):
    inspector = inspect(engine)
    assert {"public", "information_schema"} <= set(inspector.get_schema_names())
    assert set(TPCH_TABLES) <= set(inspector.get_table_names(schema="public"))
    assert "information_schema" not in inspector.get_table_names(schema="public")
    assert inspector.has_table("lineitem", schema="public")


def test_inspector_without_a_schema_lists_every_schemas_tables(engine):
    # The dialect sends GetTables with no schema filter, so information_schema's tables come too.
    names = inspect(engine).get_table_names()
    assert set(TPCH_TABLES) <= set(names)
    assert {"tables", "columns"} <= set(names)


def test_inspector_describes_columns_with_their_sql_types(engine, tpch_parquet_dir):
    import pyarrow.parquet as pq

    columns = inspect(engine).get_columns("lineitem", schema="public")
    assert [column["name"] for column in columns] == pq.read_schema(tpch_parquet_dir / "lineitem.parquet").names
    types = {column["name"]: column["type"] for column in columns}
    assert isinstance(types["l_orderkey"], sa.BigInteger)
    assert isinstance(types["l_linenumber"], sa.Integer)
    assert isinstance(types["l_quantity"], sa.DECIMAL)
    assert isinstance(types["l_shipdate"], sa.Date)
    assert isinstance(types["l_comment"], sa.Text)
    # GetTables(include_schema) describes a table exactly as `SELECT *` sends it: every column
    # of a result is nullable (docs/clients.md).
    assert all(column["nullable"] for column in columns)


# --- pandas ----------------------------------------------------------------------------------------
# pandas >= 2.2 accepts only SQLAlchemy >= 2 engines, and the dialect requires SQLAlchemy < 2:
# pandas treats the engine as a DB-API connection and fails. Its raw DB-API connection works.


@pytest.mark.filterwarnings("ignore:pandas only supports SQLAlchemy connectable:UserWarning")
def test_pandas_read_sql_over_the_engines_connection_matches_datafusion(engine, oracle, tpch_query):
    sql = tpch_query(1)
    frame = pd.read_sql(sql, engine.raw_connection())
    assert_tables_match(pa.Table.from_pandas(frame, preserve_index=False), oracle.sql(sql).to_arrow_table())


@pytest.mark.filterwarnings("ignore:pandas only supports SQLAlchemy connectable:UserWarning")
def test_pandas_read_sql_with_parameters(engine):
    sql = "SELECT n_name FROM nation WHERE n_regionkey = ? ORDER BY n_name"
    frame = pd.read_sql(sql, engine.raw_connection(), params=(3,))
    assert frame["n_name"].tolist() == ["FRANCE", "GERMANY", "ROMANIA", "RUSSIA", "UNITED KINGDOM"]


@pytest.mark.filterwarnings("ignore:pandas only supports SQLAlchemy connectable:UserWarning")
def test_pandas_read_sql_refuses_the_engine_itself(engine):
    with pytest.raises(AttributeError, match="cursor"):
        pd.read_sql("SELECT 1", engine)
