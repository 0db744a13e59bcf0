"""The embedded TPC-H catalog, information_schema, and ADBC's metadata calls."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import TPCH_TABLES, query_table

CATALOG = "datafusion"
SCHEMA = "public"


def get_objects(conn, depth, **filters) -> list[dict]:
    return conn.adbc_get_objects(depth=depth, **filters).read_all().to_pylist()


def find(rows, key, name):
    matches = [row for row in rows or [] if row[key] == name]
    assert matches, f"{name!r} not among {[row[key] for row in rows or []]}"
    return matches[0]


def tpch_schema_entry(objects) -> dict:
    catalog = find(objects, "catalog_name", CATALOG)
    return find(catalog["catalog_db_schemas"], "db_schema_name", SCHEMA)


def table_names(schema_entry) -> set[str]:
    return {table["table_name"] for table in schema_entry["db_schema_tables"] or []}


def parquet_schema(tpch_parquet_dir, table) -> pa.Schema:
    return pq.read_schema(tpch_parquet_dir / f"{table}.parquet")


# --- SQL: SHOW TABLES / SHOW COLUMNS / information_schema ---------------------------------------


def test_show_tables_lists_every_tpch_table_in_datafusion_public(adbc_conn):
    rows = query_table(adbc_conn, "SHOW TABLES").to_pylist()
    public = {row["table_name"] for row in rows if (row["table_catalog"], row["table_schema"]) == (CATALOG, SCHEMA)}
    assert set(TPCH_TABLES) <= public


def test_show_tables_includes_information_schema(adbc_conn):
    rows = query_table(adbc_conn, "SHOW TABLES").to_pylist()
    assert "information_schema" in {row["table_schema"] for row in rows}


def test_show_columns_from_lineitem_lists_its_columns_in_order(adbc_conn, tpch_parquet_dir):
    rows = query_table(adbc_conn, "SHOW COLUMNS FROM lineitem").to_pylist()
    assert [row["column_name"] for row in rows] == parquet_schema(tpch_parquet_dir, "lineitem").names


def test_information_schema_tables_can_be_queried(adbc_conn):
    table = query_table(
        adbc_conn,
        "SELECT table_name FROM information_schema.tables "
        f"WHERE table_catalog = '{CATALOG}' AND table_schema = '{SCHEMA}' ORDER BY table_name",
    )
    assert set(TPCH_TABLES) <= set(table.column("table_name").to_pylist())


# --- ADBC adbc_get_objects at each depth ---------------------------------------------------------


def test_get_objects_catalogs_depth_lists_the_datafusion_catalog(adbc_conn):
    objects = get_objects(adbc_conn, "catalogs")
    catalog = find(objects, "catalog_name", CATALOG)
    assert not catalog["catalog_db_schemas"], "catalogs depth must not descend into schemas"


def test_get_objects_db_schemas_depth_lists_public_without_tables(adbc_conn):
    schema = tpch_schema_entry(get_objects(adbc_conn, "db_schemas"))
    assert not schema["db_schema_tables"], "db_schemas depth must not descend into tables"


def test_get_objects_tables_depth_lists_the_tpch_tables_without_columns(adbc_conn):
    schema = tpch_schema_entry(get_objects(adbc_conn, "tables"))
    assert set(TPCH_TABLES) <= table_names(schema)
    lineitem = find(schema["db_schema_tables"], "table_name", "lineitem")
    assert not lineitem["table_columns"], "tables depth must not descend into columns"


@pytest.mark.parametrize("depth", ["columns", "all"])
def test_get_objects_deepest_depths_list_lineitem_columns(adbc_conn, tpch_parquet_dir, depth):
    schema = tpch_schema_entry(get_objects(adbc_conn, depth))
    lineitem = find(schema["db_schema_tables"], "table_name", "lineitem")
    columns = sorted(lineitem["table_columns"], key=lambda column: column["ordinal_position"])
    assert [column["column_name"] for column in columns] == parquet_schema(tpch_parquet_dir, "lineitem").names
    assert columns[0]["ordinal_position"] == 1


def test_get_objects_table_name_filter_selects_matching_tables(adbc_conn):
    schema = tpch_schema_entry(get_objects(adbc_conn, "tables", table_name_filter="line%"))
    assert table_names(schema) == {"lineitem"}


def test_get_objects_column_name_filter_selects_matching_columns(adbc_conn):
    schema = tpch_schema_entry(get_objects(adbc_conn, "all", table_name_filter="lineitem", column_name_filter="l_ship%"))
    lineitem = find(schema["db_schema_tables"], "table_name", "lineitem")
    assert {column["column_name"] for column in lineitem["table_columns"]} == {
        "l_shipdate",
        "l_shipinstruct",
        "l_shipmode",
    }


# --- ADBC table schema, table types, info --------------------------------------------------------


@pytest.mark.parametrize("table", TPCH_TABLES)
def test_get_table_schema_matches_the_tpchgen_parquet_schema(adbc_conn, tpch_parquet_dir, table):
    schema = adbc_conn.adbc_get_table_schema(table)
    expected = parquet_schema(tpch_parquet_dir, table)
    assert schema.names == expected.names
    assert [str(field.type) for field in schema] == [str(field.type) for field in expected]


def test_get_table_schema_accepts_catalog_and_schema_filters(adbc_conn):
    schema = adbc_conn.adbc_get_table_schema("nation", catalog_filter=CATALOG, db_schema_filter=SCHEMA)
    assert schema.names == ["n_nationkey", "n_name", "n_regionkey", "n_comment"]


def test_get_table_schema_reports_strings_as_utf8(adbc_conn):
    schema = adbc_conn.adbc_get_table_schema("nation")
    assert schema.field("n_name").type == pa.string()


def test_get_table_types_covers_the_types_of_listed_tables(adbc_conn):
    table_types = adbc_conn.adbc_get_table_types()
    assert table_types, "no table types reported"
    schema = tpch_schema_entry(get_objects(adbc_conn, "tables"))
    assert {table["table_type"] for table in schema["db_schema_tables"]} <= set(table_types)


def test_get_info_names_trebuchet_as_the_vendor(adbc_conn):
    info = adbc_conn.adbc_get_info()
    assert info["vendor_name"] == "Trebuchet"
    assert isinstance(info["vendor_version"], str) and info["vendor_version"]
