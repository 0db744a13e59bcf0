-- Grouping and aggregation: GROUP BY columns, expressions and ordinals, HAVING, DISTINCT
-- aggregates, GROUPING SETS / ROLLUP / CUBE with grouping(), the aggregate functions
-- (count, sum, avg, min, max, stddev, var, median, approx_distinct, array_agg with
-- ORDER BY, string_agg, bool_and, bool_or, bit_and/or/xor, first_value, last_value),
-- and aggregates with FILTER, over memory tables and TPC-H tables.

CREATE TABLE g_t (id INT, grp VARCHAR, sub VARCHAR, x INT, y DOUBLE, flag BOOLEAN, d DECIMAL(10, 2)) AS VALUES
  (1, 'a', 'p', 10, 1.5, true, 1.10),
  (2, 'a', 'q', 20, 2.5, false, 2.20),
  (3, 'a', 'p', NULL, NULL, NULL, NULL),
  (4, 'b', 'p', 40, -4.0, true, 4.40),
  (5, 'b', 'q', 40, 0.0, true, 5.50),
  (6, 'b', NULL, 60, 6.25, false, -6.60),
  (7, NULL, 'p', 70, 7.0, NULL, 7.70),
  (8, NULL, NULL, NULL, NULL, NULL, NULL),
  (9, 'c', 'q', 90, 9.5, true, 9.90),
  (10, 'a', 'q', 20, 2.5, true, 2.20);

CREATE TABLE g_empty (grp VARCHAR, x INT, y DOUBLE);

-- GROUP BY columns, expressions, ordinals and aliases.
SELECT grp, count(*) FROM g_t GROUP BY grp;

SELECT grp, sub, count(*), sum(x) FROM g_t GROUP BY grp, sub;

SELECT x % 20 AS m, count(*) FROM g_t GROUP BY x % 20;

SELECT upper(grp) AS g, count(*) FROM g_t GROUP BY upper(grp);

SELECT grp, count(*) FROM g_t GROUP BY 1;

SELECT grp AS g, sum(x) FROM g_t GROUP BY g;

SELECT coalesce(grp, 'none') AS g, count(x), count(y) FROM g_t GROUP BY coalesce(grp, 'none');

SELECT CASE WHEN x >= 40 THEN 'big' WHEN x IS NULL THEN 'unknown' ELSE 'small' END AS size, count(*), min(id), max(id) FROM g_t GROUP BY 1;

SELECT flag, count(*) FROM g_t GROUP BY flag;

SELECT d, count(*) FROM g_t GROUP BY d;

SELECT y, count(*) FROM g_t GROUP BY y;

SELECT grp, sub, flag, count(*) FROM g_t GROUP BY grp, sub, flag;

SELECT count(*) FROM g_t GROUP BY grp, sub HAVING count(*) > 1;

SELECT DISTINCT grp FROM g_t;

SELECT DISTINCT grp, sub FROM g_t;

SELECT grp FROM g_t GROUP BY grp;

SELECT x + 1, count(*) FROM g_t GROUP BY x + 1;

-- Error: a column that is neither grouped nor aggregated.
SELECT grp, x FROM g_t GROUP BY grp;

-- HAVING.
SELECT grp, sum(x) FROM g_t GROUP BY grp HAVING sum(x) > 50;

SELECT grp, count(*) FROM g_t GROUP BY grp HAVING count(*) >= 2 AND max(x) < 90;

SELECT grp FROM g_t GROUP BY grp HAVING avg(y) IS NULL OR avg(y) > 3;

SELECT grp, count(*) AS n FROM g_t GROUP BY grp HAVING n > 1;

SELECT count(*) FROM g_t HAVING count(*) > 5;

SELECT count(*) FROM g_t HAVING count(*) > 50;

SELECT grp, sum(x) FROM g_t WHERE x > 10 GROUP BY grp HAVING sum(x) > 30;

SELECT grp FROM g_t GROUP BY grp HAVING bool_or(flag);

-- Aggregates without GROUP BY, and over empty input.
SELECT count(*), count(x), count(DISTINCT x), sum(x), avg(x), min(x), max(x) FROM g_t;

SELECT count(*), count(x), sum(x), avg(x), min(x), max(x), median(x) FROM g_empty;

SELECT grp, count(*) FROM g_empty GROUP BY grp;

SELECT sum(y), avg(y), min(y), max(y) FROM g_t WHERE x IS NULL;

SELECT count(*), sum(d), avg(d), min(d), max(d) FROM g_t;

SELECT sum(x) FILTER (WHERE x > 1000), count(*) FILTER (WHERE x > 1000) FROM g_t;

-- DISTINCT aggregates.
SELECT grp, count(DISTINCT x), sum(DISTINCT x), avg(DISTINCT x) FROM g_t GROUP BY grp;

SELECT count(DISTINCT grp), count(DISTINCT sub), count(DISTINCT x) FROM g_t;

SELECT count(DISTINCT (grp, sub)) FROM g_t;

SELECT grp, count(DISTINCT sub), count(*) FROM g_t GROUP BY grp;

SELECT count(DISTINCT l_orderkey), count(DISTINCT l_partkey), count(DISTINCT l_suppkey) FROM lineitem;

SELECT l_returnflag, count(DISTINCT l_orderkey), sum(DISTINCT l_linenumber) FROM lineitem GROUP BY l_returnflag;

SELECT o_orderpriority, count(DISTINCT o_custkey), min(DISTINCT o_totalprice) FROM orders GROUP BY o_orderpriority;

-- Statistical aggregates.
SELECT grp, stddev(y), stddev_pop(y), var(y), var_pop(y) FROM g_t GROUP BY grp;

SELECT stddev(x), stddev_samp(x), var_samp(x), var_pop(x) FROM g_t;

-- Error: there is no function named variance.
SELECT variance(x) FROM g_t;

SELECT grp, median(x), median(y) FROM g_t GROUP BY grp;

SELECT median(d) FROM g_t;

SELECT corr(x, y), covar_samp(x, y), covar_pop(x, y) FROM g_t;

SELECT regr_slope(y, x), regr_intercept(y, x), regr_count(y, x) FROM g_t;

SELECT l_returnflag, stddev(l_quantity), var_pop(l_extendedprice), median(l_discount) FROM lineitem GROUP BY l_returnflag;

SELECT o_orderstatus, median(o_totalprice), avg(o_totalprice) FROM orders GROUP BY o_orderstatus;

-- approx_distinct.
SELECT approx_distinct(x), approx_distinct(grp) FROM g_t;

SELECT approx_distinct(l_orderkey), approx_distinct(l_comment) FROM lineitem;

SELECT l_shipmode, approx_distinct(l_partkey) FROM lineitem GROUP BY l_shipmode;

-- array_agg and string_agg with a total ORDER BY.
SELECT grp, array_agg(id ORDER BY id) FROM g_t GROUP BY grp;

SELECT grp, array_agg(x ORDER BY x DESC NULLS LAST, id) FROM g_t GROUP BY grp;

SELECT array_agg(DISTINCT grp ORDER BY grp) FROM g_t;

SELECT grp, array_agg(sub ORDER BY id) FILTER (WHERE sub IS NOT NULL) FROM g_t GROUP BY grp;

SELECT array_agg(y ORDER BY id) FROM g_t WHERE grp = 'a';

SELECT grp, string_agg(sub, ',' ORDER BY id) FROM g_t GROUP BY grp;

SELECT string_agg(grp, '|' ORDER BY grp, id) FROM g_t;

SELECT grp, string_agg(CAST(x AS VARCHAR), '-' ORDER BY x, id) FROM g_t GROUP BY grp;

SELECT r_name, array_agg(n_name ORDER BY n_name) FROM region JOIN nation ON r_regionkey = n_regionkey GROUP BY r_name;

SELECT n_regionkey, string_agg(n_name, ', ' ORDER BY n_nationkey) FROM nation GROUP BY n_regionkey;

SELECT array_agg(g_t.x ORDER BY g_t.id) FROM g_empty, g_t;

SELECT array_agg(x ORDER BY x), string_agg(grp, ',' ORDER BY grp) FROM g_empty;

-- bool and bit aggregates.
SELECT grp, bool_and(flag), bool_or(flag) FROM g_t GROUP BY grp;

SELECT bool_and(flag), bool_or(flag), bool_and(x > 0), bool_or(x > 80) FROM g_t;

SELECT grp, bit_and(x), bit_or(x), bit_xor(x) FROM g_t GROUP BY grp;

SELECT bit_and(x), bit_or(x), bit_xor(x), bit_xor(DISTINCT x) FROM g_t;

SELECT l_linestatus, bit_or(l_linenumber), bit_and(l_linenumber), bool_and(l_quantity > 0) FROM lineitem GROUP BY l_linestatus;

-- first_value and last_value with ORDER BY.
SELECT grp, first_value(id ORDER BY x NULLS LAST, id), last_value(id ORDER BY x NULLS FIRST, id) FROM g_t GROUP BY grp;

SELECT first_value(n_name ORDER BY n_nationkey DESC), last_value(n_name ORDER BY n_nationkey DESC) FROM nation;

-- Aggregates with FILTER.
SELECT grp, count(*) FILTER (WHERE flag), sum(x) FILTER (WHERE sub = 'p'), avg(y) FILTER (WHERE y > 0) FROM g_t GROUP BY grp;

SELECT count(*) FILTER (WHERE x IS NULL), count(x) FILTER (WHERE id > 5), max(y) FILTER (WHERE flag IS NOT TRUE) FROM g_t;

SELECT count(DISTINCT x) FILTER (WHERE grp = 'a'), count(DISTINCT x) FILTER (WHERE grp = 'b') FROM g_t;

SELECT grp, count(*) FILTER (WHERE NULL) FROM g_t GROUP BY grp;

SELECT l_returnflag, sum(l_quantity) FILTER (WHERE l_shipmode = 'AIR'), count(*) FILTER (WHERE l_discount > 0.05) FROM lineitem GROUP BY l_returnflag;

SELECT sum(l_extendedprice) FILTER (WHERE l_shipdate < DATE '1995-01-01'), sum(l_extendedprice) FILTER (WHERE l_shipdate >= DATE '1995-01-01') FROM lineitem;

-- GROUPING SETS, ROLLUP and CUBE with grouping().
SELECT grp, sub, count(*) FROM g_t GROUP BY GROUPING SETS ((grp), (sub), ());

SELECT grp, sub, sum(x), grouping(grp), grouping(sub) FROM g_t GROUP BY GROUPING SETS ((grp, sub), (grp), ());

SELECT grp, sub, count(*), grouping(grp, sub) FROM g_t GROUP BY ROLLUP (grp, sub);

SELECT grp, sub, count(*), sum(x), grouping(grp), grouping(sub) FROM g_t GROUP BY CUBE (grp, sub);

SELECT grp, flag, count(*) FROM g_t GROUP BY CUBE (grp, flag) HAVING count(*) > 1;

SELECT grp, sub, flag, count(*) FROM g_t GROUP BY ROLLUP (grp, sub, flag);

SELECT grp, sub, count(*) FROM g_t GROUP BY grp, ROLLUP (sub);

SELECT grp, sub, count(*) FROM g_t GROUP BY GROUPING SETS ((grp), (grp), (sub));

SELECT grp, count(DISTINCT x), sum(DISTINCT x) FROM g_t GROUP BY ROLLUP (grp);

SELECT CASE WHEN grouping(grp) = 1 THEN 'all' ELSE coalesce(grp, 'null-group') END AS label, count(*) FROM g_t GROUP BY ROLLUP (grp);

SELECT grp, sub, count(*) FROM g_t GROUP BY CUBE (grp, sub) ORDER BY grouping(grp), grouping(sub), grp NULLS FIRST, sub NULLS FIRST;

SELECT grp, array_agg(id ORDER BY id) FROM g_t GROUP BY ROLLUP (grp);

SELECT grp, sub, avg(y), median(x) FROM g_t GROUP BY GROUPING SETS ((grp, sub), ());

SELECT x % 2 AS parity, grp, count(*) FROM g_t GROUP BY ROLLUP (x % 2, grp);

SELECT l_returnflag, l_linestatus, count(*), sum(l_quantity), grouping(l_returnflag), grouping(l_linestatus) FROM lineitem GROUP BY ROLLUP (l_returnflag, l_linestatus);

SELECT l_returnflag, l_linestatus, count(*), avg(l_discount) FROM lineitem GROUP BY CUBE (l_returnflag, l_linestatus);

SELECT r_name, n_name, count(*) FROM customer JOIN nation ON c_nationkey = n_nationkey JOIN region ON n_regionkey = r_regionkey GROUP BY ROLLUP (r_name, n_name);

SELECT o_orderstatus, o_orderpriority, count(*), sum(o_totalprice) FROM orders GROUP BY GROUPING SETS ((o_orderstatus), (o_orderpriority), ());

SELECT c_mktsegment, extract(year FROM o_orderdate) AS y, count(*) FROM customer JOIN orders ON c_custkey = o_custkey GROUP BY CUBE (c_mktsegment, extract(year FROM o_orderdate));

-- Error: grouping() of a column not in the GROUP BY.
SELECT grp, grouping(sub) FROM g_t GROUP BY grp;

-- TPC-H aggregations.
SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price, sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price, sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge, avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc, count(*) AS count_order FROM lineitem WHERE l_shipdate <= DATE '1998-09-02' GROUP BY l_returnflag, l_linestatus;

SELECT o_custkey, count(*), sum(o_totalprice) FROM orders GROUP BY o_custkey HAVING count(*) > 25;

SELECT p_brand, p_type, count(*) FROM part GROUP BY p_brand, p_type HAVING count(*) > 3;

SELECT extract(year FROM o_orderdate) AS y, extract(month FROM o_orderdate) AS m, count(*), max(o_totalprice) FROM orders GROUP BY 1, 2;

SELECT date_trunc('year', l_shipdate) AS yr, l_shipmode, count(*) FROM lineitem GROUP BY 1, 2;

SELECT ps_suppkey, sum(ps_supplycost * ps_availqty) AS value FROM partsupp GROUP BY ps_suppkey HAVING sum(ps_supplycost * ps_availqty) > 50000000;

SELECT s_nationkey, count(*), min(s_acctbal), max(s_acctbal), avg(s_acctbal) FROM supplier GROUP BY s_nationkey;

SELECT c_nationkey, c_mktsegment, count(*) FROM customer GROUP BY c_nationkey, c_mktsegment HAVING count(*) >= 15;

SELECT count(*) FROM (SELECT l_orderkey FROM lineitem GROUP BY l_orderkey HAVING sum(l_quantity) > 300) big;

SELECT l_orderkey % 10 AS bucket, count(*), count(DISTINCT l_orderkey), sum(l_quantity) FROM lineitem GROUP BY l_orderkey % 10;

SELECT o_orderdate, count(*) FROM orders WHERE o_orderdate < DATE '1992-01-10' GROUP BY o_orderdate;

SELECT n_name, count(DISTINCT s_suppkey), count(DISTINCT c_custkey) FROM nation LEFT JOIN supplier ON s_nationkey = n_nationkey LEFT JOIN customer ON c_nationkey = n_nationkey GROUP BY n_name;

SELECT length(p_name) AS len, count(*) FROM part GROUP BY length(p_name) HAVING count(*) > 100;

SELECT p_size, array_agg(p_partkey ORDER BY p_partkey) FILTER (WHERE p_partkey < 60) FROM part WHERE p_size < 6 GROUP BY p_size;

-- Aggregates of aggregates, through derived tables.
SELECT max(n), min(n), avg(n) FROM (SELECT grp, count(*) AS n FROM g_t GROUP BY grp) s;

SELECT n, count(*) FROM (SELECT o_custkey, count(*) AS n FROM orders GROUP BY o_custkey) per_cust GROUP BY n;

SELECT grp, CAST(sum(x) AS DOUBLE) / (SELECT sum(x) FROM g_t) AS share FROM g_t GROUP BY grp;
