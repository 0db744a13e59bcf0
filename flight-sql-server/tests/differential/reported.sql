-- The discrepancies reported in issue 15, each as it was first seen.

CREATE TABLE dict AS SELECT arrow_cast(column1, 'Dictionary(Int32, Utf8)') AS k, column2 AS v
FROM (VALUES ('a', 1), ('b', 2), ('a', 3), (NULL, 4));

SELECT k, sum(v) FROM dict GROUP BY k ORDER BY k;

SELECT * FROM dict;

SELECT a.k, a.v, b.v FROM dict a JOIN dict b ON a.k = b.k;

SELECT count(*) FILTER (WHERE NULL) OVER () FROM dict;

CREATE TABLE n AS VALUES (NULL), (5), (NULL), (7);

SELECT first_value(column1) IGNORE NULLS OVER () FROM n;

SELECT (SELECT v FROM (VALUES (1), (2)) s(v));

SELECT column1 FROM n ORDER BY column1 + (SELECT max(column1) FROM n), column1;

SELECT make_array(arrow_cast(2, 'UInt8')) UNION ALL SELECT make_array(arrow_cast(-2, 'Int8'));

WITH s AS (SELECT * FROM generate_series(1, 10)) SELECT count(*) FROM s;

SELECT arrow_cast(make_array(1, 2), 'LargeList(Int64)');

SELECT CASE WHEN v > 1 THEN named_struct('b', v, 'a', 2) END AS s FROM dict;

SELECT n_name FROM nation
WHERE EXISTS (SELECT 1 FROM region WHERE r_regionkey = n_regionkey AND r_name = 'ASIA')
   OR EXISTS (SELECT 1 FROM region WHERE r_regionkey = n_regionkey AND r_name = 'EUROPE' AND n_nationkey < 8);

SELECT 10 / (l_linenumber - l_linenumber) FROM lineitem LIMIT 1;

SELECT CAST(l_comment AS INT) FROM lineitem;

SET TIME ZONE '+05:00';

SET datafusion.execution.time_zone = '+05:00';

SELECT to_timestamp(1);

SELECT o_orderdate, CAST(o_orderdate AS TIMESTAMP) FROM orders ORDER BY o_orderkey LIMIT 3;

RESET datafusion.execution.time_zone;

SHOW datafusion.execution.time_zone;

SELECT to_timestamp(1);

SELECT CAST(o_orderdate AS TIMESTAMPTZ) FROM orders ORDER BY o_orderkey LIMIT 3;
