"""TPC-H through ADBC must match in-process DataFusion on tpchgen-cli's parquet (same generator, same data)."""

import time

import pytest

from test_adaptive import last_job
from helpers import TPCH_TABLES, adbc_connect, assert_tables_match, query_table, query_value


def oracle_table(oracle, sql):
    return oracle.sql(sql).to_arrow_table()


@pytest.mark.parametrize("table", TPCH_TABLES)
def test_embedded_table_has_the_same_row_count_as_tpchgen(adbc_conn, oracle, table):
    expected = oracle_table(oracle, f"SELECT count(*) AS n FROM {table}").column("n")[0].as_py()
    assert query_value(adbc_conn, f"SELECT count(*) AS n FROM {table}") == expected


@pytest.mark.parametrize("table, key", [("nation", "n_nationkey"), ("region", "r_regionkey"), ("supplier", "s_suppkey")])
def test_small_embedded_table_has_the_same_content_as_tpchgen(adbc_conn, oracle, table, key):
    sql = f"SELECT * FROM {table} ORDER BY {key}"
    assert_tables_match(query_table(adbc_conn, sql), oracle_table(oracle, sql))


def test_lineitem_checksums_match_tpchgen(adbc_conn, oracle):
    sql = (
        "SELECT count(*) AS n, sum(l_orderkey) AS orderkeys, sum(l_quantity) AS quantity, "
        "sum(l_extendedprice) AS price, count(DISTINCT l_comment) AS comments, "
        "min(l_shipdate) AS first_ship, max(l_receiptdate) AS last_receipt FROM lineitem"
    )
    assert_tables_match(query_table(adbc_conn, sql), oracle_table(oracle, sql))


def statements(script: str) -> list[str]:
    """Split a query file into statements (q15 is CREATE VIEW; SELECT; DROP VIEW)."""
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def run_script_over_adbc(conn, script):
    """Run each statement; return the result of the one that produces rows."""
    results = [query_table(conn, statement) for statement in statements(script)]
    with_rows = [result for result in results if result.num_columns > 0]
    assert len(with_rows) == 1, f"expected one statement with a result, got {len(with_rows)}"
    return with_rows[0]


def run_script_in_oracle(oracle, script):
    results = [oracle.sql(statement).to_arrow_table() for statement in statements(script)]
    with_rows = [result for result in results if result.num_columns > 0 and result.num_rows > 0]
    return with_rows[0]


@pytest.mark.parametrize("number", [1, 6])
def test_tpch_query_matches_datafusion(adbc_conn, oracle, tpch_query, number):
    sql = tpch_query(number)
    expected = oracle_table(oracle, sql)
    assert expected.num_rows > 0
    assert_tables_match(query_table(adbc_conn, sql), expected)


# The adaptive planner re-planning stages: at scale 0.1 it would otherwise run each query as
# one task (its own setup below).
ADAPTIVE_STAGES = [
    "ballista.planner.adaptive.enabled = true",
    "ballista.planner.adaptive.single_task.enabled = false",
]

# (cluster fixture, session settings): both shuffle writers under the default pull-staged
# policy, the default writer under push-staged (whose executors keep their shuffle output
# in memory and serve it to each other from there), hash joins (whose broadcast joins must
# not lose the rows a left, semi, anti or full join emits after its last probe partition),
# and sort-merge joins only, with no small side broadcast.
CLUSTER_SETUPS = {
    "pull_staged_sort_based_shuffle": ("process_cluster", []),
    "pull_staged_hash_based_shuffle": ("process_cluster", ["ballista.shuffle.sort_based.enabled = false"]),
    "push_staged_sort_based_shuffle": ("push_process_cluster", []),
    "pull_staged_hash_joins": ("process_cluster", ["datafusion.optimizer.prefer_hash_join = true"]),
    "pull_staged_no_broadcasts": ("process_cluster", ["ballista.optimizer.broadcast_join_threshold_bytes = 0"]),
    # The adaptive planner, coalescing the partitions of every stage that reads a hash
    # shuffle: under both writers and both policies, with hash joins, and with an advisory
    # size small enough (64 KiB at scale 0.1) that partitions merge into uneven groups
    # while joins stay partitioned (no broadcasts) and must stay co-partitioned.
    "pull_staged_adaptive": ("process_cluster", ADAPTIVE_STAGES),
    "pull_staged_adaptive_hash_based_shuffle": (
        "process_cluster",
        [*ADAPTIVE_STAGES, "ballista.shuffle.sort_based.enabled = false"],
    ),
    "push_staged_adaptive": ("push_process_cluster", ADAPTIVE_STAGES),
    "pull_staged_adaptive_hash_joins": (
        "process_cluster",
        [*ADAPTIVE_STAGES, "datafusion.optimizer.prefer_hash_join = true"],
    ),
    "pull_staged_adaptive_uneven_groups": (
        "process_cluster",
        [
            *ADAPTIVE_STAGES,
            "ballista.planner.adaptive.coalesce_partitions.advisory_partition_size = 65536",
            "ballista.optimizer.broadcast_join_threshold_bytes = 0",
        ],
    ),
    # Every join partition above its side's median split by ranges of map tasks into
    # pieces of at least 16 KiB, each joined with the whole partition of the other side.
    "pull_staged_adaptive_split_skew": (
        "process_cluster",
        [
            *ADAPTIVE_STAGES,
            "ballista.optimizer.broadcast_join_threshold_bytes = 0",
            "ballista.planner.adaptive.skew_join.skewed_partition_factor = 1",
            "ballista.planner.adaptive.skew_join.skewed_partition_threshold_bytes = 1",
            "ballista.planner.adaptive.coalesce_partitions.advisory_partition_size = '16KiB'",
        ],
    ),
    # The adaptive planner as a session gets it: at scale 0.1 every query runs as one task
    # on one executor, its exchanges in memory, with hash joins.
    "pull_staged_adaptive_single_task": ("process_cluster", ["ballista.planner.adaptive.enabled = true"]),
}


@pytest.fixture(scope="module", params=CLUSTER_SETUPS)
def cluster_conn(request):
    """A session on a process cluster with one scheduling policy and one set of settings."""
    cluster_fixture, settings = CLUSTER_SETUPS[request.param]
    cluster = request.getfixturevalue(cluster_fixture)
    conn = adbc_connect(cluster.uri)
    with conn.cursor() as cur:
        for setting in settings:
            cur.execute(f"SET {setting}")
            cur.fetchall()
    yield conn
    conn.close()


@pytest.mark.parametrize("number", range(1, 23))
def test_every_tpch_query_on_scheduler_and_two_executors_matches_datafusion(
    cluster_conn, oracle_sf01, tpch_query, number
):
    """Scale 0.1, `trebuchet scheduler` + two `trebuchet executor` processes, through ADBC,
    under each setup."""
    script = tpch_query(number)
    expected = run_script_in_oracle(oracle_sf01, script)
    assert_tables_match(run_script_over_adbc(cluster_conn, script), expected)


def test_the_split_skew_setup_splits_join_partitions(process_cluster, tpch_query):
    """The setup forcing skew splits on uniform data does split: otherwise its oracle run
    would test nothing new."""
    [sql] = statements(tpch_query(9))
    conn = adbc_connect(process_cluster.uri)
    try:
        with conn.cursor() as cur:
            for setting in CLUSTER_SETUPS["pull_staged_adaptive_split_skew"][1]:
                cur.execute(f"SET {setting}")
                cur.fetchall()
        query_table(conn, sql)
    finally:
        conn.close()
    job = last_job(process_cluster.scheduler, sql)
    changes = [change for stage in job["stages"] for change in stage["adaptive_changes"]]
    assert any("split skewed partitions" in change for change in changes), changes


def test_no_shuffle_file_is_left_after_the_tpch_run(process_cluster):
    """Jobs release their files when their result has been read; the release is asynchronous."""
    conn = adbc_connect(process_cluster.uri)
    query_table(conn, "SELECT l_returnflag, count(*) FROM lineitem GROUP BY l_returnflag")
    conn.close()
    deadline = time.monotonic() + 10
    while process_cluster.shuffle_files() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert process_cluster.shuffle_files() == []


@pytest.mark.parametrize("number", [1, 3, 6, 9, 18])
def test_tpch_query_matches_datafusion_with_hash_joins_and_small_batches(adbc_conn, oracle, tpch_query, number):
    with adbc_conn.cursor() as cur:
        for setting in ("datafusion.optimizer.prefer_hash_join = true", "datafusion.execution.batch_size = 100"):
            cur.execute(f"SET {setting}")
            cur.fetchall()
    sql = tpch_query(number)
    assert_tables_match(query_table(adbc_conn, sql), oracle_table(oracle, sql))
