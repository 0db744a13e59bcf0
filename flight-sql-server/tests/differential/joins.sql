-- Joins: INNER, LEFT, RIGHT, FULL, CROSS, semi and anti joins (explicit, and through
-- EXISTS / NOT EXISTS / IN / NOT IN), NATURAL and USING, NULLs in keys on either side,
-- non-equi conditions, several keys, keys that are expressions, self joins, memory tables
-- joined with TPC-H tables, empty sides, and IS NOT DISTINCT FROM keys.

CREATE TABLE jl (id INT, k INT, tag VARCHAR, v DOUBLE) AS VALUES
  (1, 10, 'a', 1.5),
  (2, 20, 'b', 2.5),
  (3, 20, 'b', NULL),
  (4, NULL, 'c', 4.0),
  (5, 30, NULL, 5.5),
  (6, NULL, NULL, 6.0),
  (7, 50, 'e', -1.0),
  (8, 10, 'a', 0.0);

CREATE TABLE jr (id INT, k INT, tag VARCHAR, w INT) AS VALUES
  (101, 10, 'a', 1),
  (102, 20, 'x', 2),
  (103, 20, 'b', 3),
  (104, NULL, 'c', 4),
  (105, 40, NULL, 5),
  (106, NULL, NULL, 6),
  (107, 10, 'z', 7);

CREATE TABLE jempty (k INT, tag VARCHAR);

CREATE TABLE jnations (nk BIGINT, label VARCHAR) AS VALUES
  (0, 'zero'), (1, 'one'), (5, 'five'), (7, 'seven'), (24, 'last'), (99, 'none'), (NULL, 'null');

CREATE TABLE jemp (id INT, name VARCHAR, mgr INT, dept VARCHAR) AS VALUES
  (1, 'ada', NULL, 'eng'),
  (2, 'bob', 1, 'eng'),
  (3, 'cy', 1, 'ops'),
  (4, 'dee', 2, 'eng'),
  (5, 'eve', 2, 'eng'),
  (6, 'fay', 3, 'ops'),
  (7, 'gus', 99, NULL);

CREATE TABLE jranges (lo INT, hi INT, label VARCHAR) AS VALUES
  (0, 9, 'low'), (10, 19, 'mid'), (15, 29, 'overlap'), (30, 100, 'high'), (NULL, 5, 'open');

-- Inner joins.
SELECT jl.id, jr.id, jl.k FROM jl JOIN jr ON jl.k = jr.k;

SELECT jl.id, jr.id FROM jl INNER JOIN jr ON jl.k = jr.k AND jl.tag = jr.tag;

SELECT jl.id, jr.w FROM jl JOIN jr ON jl.k = jr.k WHERE jr.w > 1;

SELECT jl.id, jr.id FROM jl, jr WHERE jl.k = jr.k AND jl.v > 1;

SELECT count(*) FROM jl JOIN jr ON jl.k = jr.k;

SELECT jl.k, count(*), sum(jr.w) FROM jl JOIN jr ON jl.k = jr.k GROUP BY jl.k;

SELECT jl.id, jr.id FROM jl JOIN jr ON jl.k = jr.k ORDER BY jl.id, jr.id;

SELECT * FROM jl JOIN jr ON jl.k = jr.k ORDER BY jl.id DESC, jr.id DESC LIMIT 3;

-- Outer joins with NULL keys on both sides.
SELECT jl.id, jr.id FROM jl LEFT JOIN jr ON jl.k = jr.k;

SELECT jl.id, jr.id FROM jl RIGHT JOIN jr ON jl.k = jr.k;

SELECT jl.id, jr.id FROM jl FULL JOIN jr ON jl.k = jr.k;

SELECT jl.id, jr.id FROM jl FULL OUTER JOIN jr ON jl.k = jr.k AND jl.tag = jr.tag;

SELECT jl.id, jr.id, jl.tag, jr.tag FROM jl LEFT OUTER JOIN jr ON jl.tag = jr.tag;

SELECT jl.id, jr.id FROM jl RIGHT OUTER JOIN jr ON jl.k = jr.k AND jl.tag = jr.tag;

SELECT jl.id, jr.id FROM jl LEFT JOIN jr ON jl.k = jr.k WHERE jr.id IS NULL;

SELECT jl.id, jr.id FROM jl RIGHT JOIN jr ON jl.k = jr.k WHERE jl.id IS NULL;

SELECT jl.id, jr.id FROM jl FULL JOIN jr ON jl.k = jr.k WHERE jl.id IS NULL OR jr.id IS NULL;

SELECT jl.id, jr.id FROM jl LEFT JOIN jr ON jl.k = jr.k AND jr.w > 2;

SELECT jl.id, jr.id FROM jl LEFT JOIN jr ON jl.k = jr.k AND jl.v > 2;

SELECT jl.id, jr.id FROM jl RIGHT JOIN jr ON jl.k = jr.k AND jl.v IS NOT NULL;

SELECT jl.id, jr.id FROM jl FULL JOIN jr ON jl.k = jr.k AND jr.w < 4 AND jl.id < 5;

SELECT coalesce(jl.k, jr.k) AS k, count(jl.id), count(jr.id) FROM jl FULL JOIN jr ON jl.k = jr.k GROUP BY coalesce(jl.k, jr.k);

SELECT jl.id, jr.id FROM jl FULL JOIN jr ON jl.k = jr.k ORDER BY jl.id NULLS FIRST, jr.id NULLS FIRST;

SELECT count(*), count(jl.id), count(jr.id) FROM jl FULL JOIN jr ON jl.k = jr.k;

SELECT jl.id, jr.id FROM jl LEFT JOIN jr ON jl.k = jr.k LEFT JOIN jemp ON jr.w = jemp.id;

SELECT jl.id, jr.id, jemp.name FROM jl FULL JOIN jr ON jl.k = jr.k FULL JOIN jemp ON jl.id = jemp.id;

SELECT jl.id, jr.id, jemp.name FROM jl JOIN jr ON jl.k = jr.k RIGHT JOIN jemp ON jr.w = jemp.id;

-- Cross joins.
SELECT count(*) FROM jl CROSS JOIN jr;

SELECT jl.id, jr.id FROM jl CROSS JOIN jr WHERE jl.id + 100 = jr.id;

SELECT a.id, b.id FROM jl a, jl b WHERE a.id < 3 AND b.id < 3;

SELECT jl.id, r.regionkey FROM jl CROSS JOIN (SELECT r_regionkey AS regionkey FROM region) r WHERE jl.id <= 2;

SELECT count(*) FROM jl CROSS JOIN jempty;

-- Explicit semi and anti joins.
SELECT * FROM jl LEFT SEMI JOIN jr ON jl.k = jr.k;

SELECT * FROM jl LEFT ANTI JOIN jr ON jl.k = jr.k;

SELECT * FROM jl RIGHT SEMI JOIN jr ON jl.k = jr.k;

SELECT * FROM jl RIGHT ANTI JOIN jr ON jl.k = jr.k;

SELECT id FROM jl LEFT SEMI JOIN jr ON jl.k = jr.k AND jl.tag = jr.tag;

SELECT id FROM jl LEFT ANTI JOIN jr ON jl.k = jr.k AND jl.tag = jr.tag;

-- Semi and anti joins written as EXISTS / IN.
SELECT id FROM jl WHERE EXISTS (SELECT 1 FROM jr WHERE jr.k = jl.k);

SELECT id FROM jl WHERE NOT EXISTS (SELECT 1 FROM jr WHERE jr.k = jl.k);

SELECT id FROM jl WHERE k IN (SELECT k FROM jr);

SELECT id FROM jl WHERE k NOT IN (SELECT k FROM jr);

SELECT id FROM jl WHERE k NOT IN (SELECT k FROM jr WHERE k IS NOT NULL);

SELECT id FROM jl WHERE k IN (SELECT k FROM jempty);

SELECT id FROM jl WHERE k NOT IN (SELECT k FROM jempty);

SELECT id FROM jl WHERE NOT EXISTS (SELECT 1 FROM jempty WHERE jempty.k = jl.k);

SELECT id FROM jl WHERE EXISTS (SELECT 1 FROM jr WHERE jr.k = jl.k AND jr.w > jl.v);

SELECT id FROM jl WHERE NOT EXISTS (SELECT 1 FROM jr WHERE jr.k = jl.k AND jr.tag <> jl.tag);

SELECT id FROM jl WHERE tag IN (SELECT tag FROM jr WHERE w > 2) AND k NOT IN (SELECT k FROM jr WHERE k IS NOT NULL AND w > 6);

SELECT n_name FROM nation WHERE n_nationkey IN (SELECT nk FROM jnations);

SELECT n_name FROM nation WHERE n_nationkey NOT IN (SELECT nk FROM jnations WHERE nk IS NOT NULL);

SELECT count(*) FROM nation WHERE n_nationkey NOT IN (SELECT nk FROM jnations);

SELECT count(*) FROM customer WHERE EXISTS (SELECT 1 FROM orders WHERE o_custkey = c_custkey);

SELECT count(*) FROM customer WHERE NOT EXISTS (SELECT 1 FROM orders WHERE o_custkey = c_custkey);

SELECT count(*) FROM customer WHERE c_custkey NOT IN (SELECT o_custkey FROM orders);

SELECT count(*) FROM part WHERE p_partkey IN (SELECT l_partkey FROM lineitem WHERE l_quantity > 49);

-- NATURAL and USING.
SELECT * FROM jl NATURAL JOIN jr;

SELECT id, k, tag FROM jl NATURAL JOIN (SELECT k, tag FROM jr) r;

SELECT * FROM jl JOIN jr USING (k);

SELECT k, jl.id, jr.id FROM jl JOIN jr USING (k, tag);

SELECT k, jl.id, jr.id FROM jl LEFT JOIN jr USING (k);

SELECT k, jl.id, jr.id FROM jl FULL JOIN jr USING (k);

SELECT * FROM jl NATURAL LEFT JOIN (SELECT k, w FROM jr) r;

SELECT * FROM (SELECT k, tag FROM jl) l NATURAL FULL JOIN (SELECT k, tag FROM jr) r;

-- Non-equi conditions.
SELECT jl.id, jranges.label FROM jl JOIN jranges ON jl.k BETWEEN jranges.lo AND jranges.hi;

SELECT jl.id, jranges.label FROM jl LEFT JOIN jranges ON jl.k BETWEEN jranges.lo AND jranges.hi;

SELECT jl.id, jranges.label FROM jl RIGHT JOIN jranges ON jl.k >= jranges.lo AND jl.k <= jranges.hi;

SELECT jl.id, jranges.label FROM jl FULL JOIN jranges ON jl.k > jranges.lo AND jl.k < jranges.hi;

SELECT jl.id, jr.id FROM jl JOIN jr ON jl.k < jr.k;

SELECT jl.id, jr.id FROM jl JOIN jr ON jl.k = jr.k AND jl.id + 100 < jr.id;

SELECT jl.id, jr.id FROM jl JOIN jr ON jl.k = jr.k OR jl.tag = jr.tag;

SELECT jl.id, jr.id FROM jl LEFT JOIN jr ON jl.k <> jr.k AND jr.w = 1;

SELECT jl.id FROM jl WHERE EXISTS (SELECT 1 FROM jranges WHERE jl.k BETWEEN lo AND hi);

SELECT jl.id FROM jl WHERE NOT EXISTS (SELECT 1 FROM jranges WHERE jl.k BETWEEN lo AND hi);

-- Several keys, and keys that are expressions.
SELECT jl.id, jr.id FROM jl JOIN jr ON jl.k = jr.k AND jl.tag = jr.tag AND jl.id < jr.w;

SELECT jl.id, jr.id FROM jl JOIN jr ON jl.k + 10 = jr.k;

SELECT jl.id, jr.id FROM jl JOIN jr ON jl.k * 2 = jr.k + 10;

SELECT jl.id, jr.id FROM jl JOIN jr ON upper(jl.tag) = upper(jr.tag);

SELECT jl.id, jr.id FROM jl JOIN jr ON coalesce(jl.k, -1) = coalesce(jr.k, -1);

SELECT jl.id, jr.id FROM jl JOIN jr ON coalesce(jl.tag, 'none') = coalesce(jr.tag, 'none') AND jl.k = jr.k;

SELECT jl.id, jr.id FROM jl JOIN jr ON CAST(jl.k AS VARCHAR) = CAST(jr.k AS VARCHAR);

SELECT jl.id, jr.id FROM jl JOIN jr ON jl.id % 3 = jr.w % 3;

SELECT jl.id, jr.id FROM jl LEFT JOIN jr ON jl.k = jr.k AND jl.id % 2 = jr.w % 2;

-- Keys of different but coercible types.
SELECT jl.id, n_name FROM jl JOIN nation ON jl.id = n_nationkey;

SELECT jl.id, jr.id FROM jl JOIN jr ON CAST(jl.k AS BIGINT) = jr.k;

SELECT jl.id, jr.id FROM jl JOIN jr ON jl.v = jr.w;

-- IS NOT DISTINCT FROM keys: NULL matches NULL.
SELECT jl.id, jr.id FROM jl JOIN jr ON jl.k IS NOT DISTINCT FROM jr.k;

SELECT jl.id, jr.id FROM jl LEFT JOIN jr ON (jl.k IS NOT DISTINCT FROM jr.k) AND (jl.tag IS NOT DISTINCT FROM jr.tag);

SELECT jl.id, jr.id FROM jl FULL JOIN jr ON jl.tag IS NOT DISTINCT FROM jr.tag;

SELECT jl.id, jr.id FROM jl JOIN jr ON (jl.k IS DISTINCT FROM jr.k) AND jl.tag = jr.tag;

-- Error: the parser reads `a IS NOT DISTINCT FROM b AND c` as `a IS NOT DISTINCT FROM (b AND c)`.
SELECT jl.id, jr.id FROM jl JOIN jr ON jl.k IS NOT DISTINCT FROM jr.k AND jl.tag = jr.tag;

SELECT label, n_name FROM jnations LEFT JOIN nation ON nk IS NOT DISTINCT FROM n_nationkey;

-- Self joins.
SELECT e.name, m.name AS manager FROM jemp e JOIN jemp m ON e.mgr = m.id;

SELECT e.name, m.name AS manager FROM jemp e LEFT JOIN jemp m ON e.mgr = m.id;

SELECT m.name, count(e.id) AS reports FROM jemp m LEFT JOIN jemp e ON e.mgr = m.id GROUP BY m.name;

SELECT e.name, m.name, g.name FROM jemp e JOIN jemp m ON e.mgr = m.id JOIN jemp g ON m.mgr = g.id;

SELECT a.name, b.name FROM jemp a JOIN jemp b ON a.dept = b.dept AND a.id < b.id;

SELECT a.id, b.id FROM jl a JOIN jl b ON a.k = b.k AND a.id <> b.id;

SELECT n1.n_name, n2.n_name FROM nation n1 JOIN nation n2 ON n1.n_regionkey = n2.n_regionkey AND n1.n_nationkey < n2.n_nationkey WHERE n1.n_regionkey = 1;

-- Memory tables joined with TPC-H tables.
SELECT label, n_name, r_name FROM jnations JOIN nation ON nk = n_nationkey JOIN region ON n_regionkey = r_regionkey;

SELECT label, n_name FROM jnations LEFT JOIN nation ON nk = n_nationkey;

SELECT label, n_name FROM jnations RIGHT JOIN nation ON nk = n_nationkey;

SELECT label, n_name FROM jnations FULL JOIN nation ON nk = n_nationkey;

SELECT label, count(c_custkey) FROM jnations LEFT JOIN customer ON nk = c_nationkey GROUP BY label;

SELECT label, count(*) FROM jnations JOIN supplier ON nk = s_nationkey GROUP BY label;

SELECT label, sum(o_totalprice) FROM jnations JOIN customer ON nk = c_nationkey JOIN orders ON o_custkey = c_custkey GROUP BY label;

SELECT count(*) FROM orders JOIN jnations ON o_orderkey % 100 = nk;

SELECT r_name, count(*) FROM region JOIN nation ON r_regionkey = n_regionkey JOIN supplier ON s_nationkey = n_nationkey GROUP BY r_name;

SELECT n_name, count(*) AS orders_count FROM nation JOIN customer ON n_nationkey = c_nationkey JOIN orders ON c_custkey = o_custkey WHERE o_orderdate < DATE '1993-01-01' GROUP BY n_name;

SELECT c_mktsegment, count(DISTINCT o_custkey) FROM customer LEFT JOIN orders ON c_custkey = o_custkey GROUP BY c_mktsegment;

SELECT count(*), count(o_orderkey) FROM customer LEFT JOIN orders ON c_custkey = o_custkey;

SELECT count(*), count(c_custkey), count(o_orderkey) FROM customer FULL JOIN orders ON c_custkey = o_custkey AND c_acctbal > 0;

SELECT count(*), count(c_custkey), count(o_orderkey) FROM customer LEFT JOIN orders ON c_custkey = o_custkey AND o_orderstatus = 'F';

SELECT l_orderkey, l_linenumber, o_orderdate FROM lineitem JOIN orders ON l_orderkey = o_orderkey WHERE l_orderkey < 40 ORDER BY l_orderkey, l_linenumber;

SELECT ps_partkey, ps_suppkey, p_name, s_name FROM partsupp JOIN part ON ps_partkey = p_partkey JOIN supplier ON ps_suppkey = s_suppkey WHERE ps_partkey <= 3;

SELECT count(*) FROM lineitem JOIN partsupp ON l_partkey = ps_partkey AND l_suppkey = ps_suppkey;

SELECT count(*) FROM lineitem l1 JOIN lineitem l2 ON l1.l_orderkey = l2.l_orderkey AND l1.l_linenumber < l2.l_linenumber;

SELECT p_brand, count(*) FROM part LEFT ANTI JOIN lineitem ON p_partkey = l_partkey AND l_quantity > 45 GROUP BY p_brand;

SELECT s_name FROM supplier LEFT SEMI JOIN nation ON s_nationkey = n_nationkey AND n_name = 'GERMANY';

-- One side empty.
SELECT jl.id, jempty.tag FROM jl JOIN jempty ON jl.k = jempty.k;

SELECT jl.id, jempty.tag FROM jl LEFT JOIN jempty ON jl.k = jempty.k;

SELECT jl.id, jempty.tag FROM jl RIGHT JOIN jempty ON jl.k = jempty.k;

SELECT jl.id, jempty.tag FROM jl FULL JOIN jempty ON jl.k = jempty.k;

SELECT jempty.k, jl.id FROM jempty LEFT JOIN jl ON jl.k = jempty.k;

SELECT jempty.k, jl.id FROM jempty RIGHT JOIN jl ON jl.k = jempty.k;

SELECT n_name, jempty.tag FROM nation LEFT JOIN jempty ON n_nationkey = jempty.k WHERE n_regionkey = 0;

SELECT jl.id FROM jl JOIN (SELECT * FROM jr WHERE w > 100) r ON jl.k = r.k;

SELECT jl.id, r.id FROM jl LEFT JOIN (SELECT * FROM jr WHERE w > 100) r ON jl.k = r.k;

SELECT count(*) FROM orders JOIN customer ON o_custkey = c_custkey WHERE c_acctbal > 100000;

SELECT count(*) FROM orders LEFT JOIN (SELECT * FROM customer WHERE c_acctbal > 100000) c ON o_custkey = c_custkey;

-- Joins over derived tables and aggregates.
SELECT a.k, a.cnt, b.total FROM (SELECT k, count(*) AS cnt FROM jl GROUP BY k) a JOIN (SELECT k, sum(w) AS total FROM jr GROUP BY k) b ON a.k = b.k;

SELECT a.k, a.cnt, b.total FROM (SELECT k, count(*) AS cnt FROM jl GROUP BY k) a FULL JOIN (SELECT k, sum(w) AS total FROM jr GROUP BY k) b ON a.k IS NOT DISTINCT FROM b.k;

SELECT o_orderpriority, count(*) FROM orders JOIN (SELECT DISTINCT l_orderkey FROM lineitem WHERE l_commitdate < l_receiptdate) late ON o_orderkey = late.l_orderkey GROUP BY o_orderpriority;

SELECT jl.id, x.total FROM jl JOIN (SELECT k, sum(w) AS total FROM jr GROUP BY k) x ON jl.k = x.k ORDER BY jl.id;

SELECT jl.id, jr.id FROM jl JOIN jr ON jl.k = jr.k JOIN jl jl2 ON jl2.id = jr.w;

-- Join conditions that are constant or reference one side only.
SELECT jl.id, jr.id FROM jl JOIN jr ON true WHERE jl.id = 1;

SELECT jl.id, jr.id FROM jl LEFT JOIN jr ON false;

SELECT jl.id, jr.id FROM jl FULL JOIN jr ON jl.id = 1 AND jr.w = 1;

SELECT jl.id, jr.id FROM jl LEFT JOIN jr ON jr.w = 3;

SELECT jl.id, jr.id FROM jl RIGHT JOIN jr ON jl.id = 2;

-- Joins with VALUES lists.
SELECT jl.id, v.label FROM jl JOIN (VALUES (10, 'ten'), (20, 'twenty'), (NULL, 'nothing')) AS v(k, label) ON jl.k = v.k;

SELECT v.label, jl.id FROM (VALUES (10, 'ten'), (NULL, 'nothing'), (99, 'ninety-nine')) AS v(k, label) LEFT JOIN jl ON jl.k = v.k;

-- Error: a row value IN a subquery is not supported.
SELECT id FROM jl WHERE (k, tag) IN (SELECT k, tag FROM jr);

-- Error: ambiguous column.
SELECT id FROM jl JOIN jr ON jl.k = jr.k;
