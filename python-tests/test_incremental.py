"""ADBC incremental execution (adbc.statement.exec.incremental), which polls with PollFlightInfo.

Trebuchet answers a poll with the whole query started, every endpoint and progress 1.0; the
next poll finds nothing more. The rows read from the partitions must be the query's rows.
"""

from helpers import query_rows


def test_incremental_execution_polls_and_reads_every_partition(adbc_conn):
    sql = "SELECT l_returnflag, count(*) AS n FROM lineitem GROUP BY l_returnflag"
    rows = []
    with adbc_conn.cursor() as cur:
        cur.adbc_statement.set_options(**{"adbc.statement.exec.incremental": "true"})
        partitions, schema = cur.adbc_execute_partitions(sql)
        assert schema.names == ["l_returnflag", "n"]
        assert partitions
        assert cur.adbc_statement.get_option_float("adbc.statement.exec.progress") == 1.0
        for partition in partitions:
            cur.adbc_read_partition(partition)
            rows.extend(cur.fetchall())
        more, _ = cur.adbc_execute_partitions(sql)
        assert more == []
    assert sorted(rows) == sorted(query_rows(adbc_conn, sql))
