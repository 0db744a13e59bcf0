-- Common table expressions: referenced once and several times, nested, over
-- generate_series / range with count(*), recursive (counting, tree walks over a memory
-- table, with UNION and UNION ALL), and mixed with joins and aggregates.

CREATE TABLE cte_tree (id INT, parent INT, name VARCHAR, weight INT) AS VALUES
  (1, NULL, 'root', 10),
  (2, 1, 'left', 5),
  (3, 1, 'right', 7),
  (4, 2, 'left.a', 1),
  (5, 2, 'left.b', 2),
  (6, 3, 'right.a', 3),
  (7, 6, 'right.a.x', 4),
  (8, 6, 'right.a.y', NULL),
  (9, NULL, 'orphan-root', 1),
  (10, 9, 'orphan-child', 2);

CREATE TABLE cte_edges (src INT, dst INT) AS VALUES
  (1, 2), (2, 3), (3, 1), (3, 4), (4, 5), (6, 7);

CREATE TABLE cte_sales (region VARCHAR, month INT, amount DOUBLE) AS VALUES
  ('north', 1, 100.0), ('north', 2, 150.0), ('north', 3, NULL),
  ('south', 1, 80.0), ('south', 2, 80.0), ('south', 3, 120.5),
  ('east', 1, 10.0), (NULL, 2, 5.0);

-- Referenced once.
WITH c AS (SELECT id, name FROM cte_tree WHERE parent IS NULL) SELECT * FROM c;

WITH c AS (SELECT region, sum(amount) AS total FROM cte_sales GROUP BY region) SELECT region, total FROM c WHERE total > 50;

WITH c (a, b) AS (SELECT id, weight FROM cte_tree) SELECT a, b FROM c WHERE b > 3;

WITH big AS (SELECT o_custkey, o_totalprice FROM orders WHERE o_totalprice > 400000) SELECT count(*), count(DISTINCT o_custkey) FROM big;

WITH c AS (SELECT * FROM cte_tree) SELECT count(*) FROM c;

WITH c AS (SELECT 1 AS one) SELECT one + 1 FROM c;

-- Referenced several times.
WITH c AS (SELECT id, parent, name FROM cte_tree) SELECT child.name, par.name FROM c child JOIN c par ON child.parent = par.id;

WITH totals AS (SELECT region, sum(amount) AS total FROM cte_sales GROUP BY region) SELECT region, total, total / (SELECT sum(total) FROM totals) AS share FROM totals;

WITH c AS (SELECT id FROM cte_tree WHERE weight > 2) SELECT a.id, b.id FROM c a, c b WHERE a.id < b.id;

WITH c AS (SELECT n_regionkey, count(*) AS n FROM nation GROUP BY n_regionkey) SELECT (SELECT max(n) FROM c), (SELECT min(n) FROM c), (SELECT count(*) FROM c);

WITH per_cust AS (SELECT o_custkey, sum(o_totalprice) AS spent FROM orders GROUP BY o_custkey) SELECT count(*) FROM per_cust WHERE spent > (SELECT avg(spent) FROM per_cust);

WITH c AS (SELECT k FROM (VALUES (1), (2), (NULL)) AS v(k)) SELECT k FROM c UNION ALL SELECT k FROM c;

WITH c AS (SELECT k FROM (VALUES (1), (2), (NULL)) AS v(k)) SELECT k FROM c INTERSECT SELECT k FROM c WHERE k > 1;

-- Several and nested CTEs.
WITH a AS (SELECT id, weight FROM cte_tree), b AS (SELECT id, weight * 2 AS w2 FROM a) SELECT id, w2 FROM b WHERE w2 > 5;

WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS x FROM a), c AS (SELECT x + 1 AS x FROM b) SELECT a.x, b.x, c.x FROM a, b, c;

WITH outer_cte AS (WITH inner_cte AS (SELECT id, weight FROM cte_tree WHERE weight IS NOT NULL) SELECT sum(weight) AS s FROM inner_cte) SELECT s FROM outer_cte;

SELECT * FROM (WITH c AS (SELECT region, max(amount) AS m FROM cte_sales GROUP BY region) SELECT * FROM c) sub WHERE m > 50;

SELECT id FROM cte_tree WHERE weight > (WITH c AS (SELECT avg(weight) AS a FROM cte_tree) SELECT a FROM c);

WITH a AS (SELECT c_custkey, c_nationkey FROM customer), b AS (SELECT n_nationkey, n_regionkey FROM nation), j AS (SELECT n_regionkey, count(*) AS customers FROM a JOIN b ON c_nationkey = n_nationkey GROUP BY n_regionkey) SELECT r_name, customers FROM j JOIN region ON n_regionkey = r_regionkey;

WITH c AS (SELECT id FROM cte_tree) SELECT id FROM c WHERE id IN (WITH d AS (SELECT parent FROM cte_tree) SELECT parent FROM d);

-- Error: DataFusion rejects a nested CTE that shadows an outer one.
WITH c AS (SELECT 1 AS x) SELECT * FROM (WITH c AS (SELECT 2 AS x) SELECT x FROM c) shadow;

WITH c AS (SELECT 1 AS x) SELECT * FROM (WITH d AS (SELECT x + 1 AS x FROM c) SELECT x FROM d) nested;

-- Error: a CTE name used twice at one level.
WITH c AS (SELECT 1 AS x), c AS (SELECT 2 AS x) SELECT * FROM c;

-- Error: a CTE with fewer column names than it has columns.
WITH c (a) AS (SELECT 1, 2) SELECT * FROM c;

-- Over generate_series and range, with count(*).
WITH s AS (SELECT * FROM generate_series(1, 10)) SELECT count(*) FROM s;

WITH s AS (SELECT * FROM range(0, 100, 7)) SELECT count(*), sum(value), min(value), max(value) FROM s;

WITH s AS (SELECT value AS v FROM generate_series(1, 20)) SELECT v % 3 AS m, count(*) FROM s GROUP BY v % 3;

WITH s AS (SELECT * FROM generate_series(1, 5) t(v)) SELECT a.v, b.v FROM s a JOIN s b ON a.v + 1 = b.v;

WITH s AS (SELECT * FROM generate_series(1, 1000)) SELECT count(*) FROM s WHERE value % 7 = 0;

WITH s AS (SELECT value FROM range(10)) SELECT count(*) FROM s, s AS s2;

WITH days AS (SELECT * FROM generate_series(DATE '2024-02-27', DATE '2024-03-02', INTERVAL '1 day') AS t(d)) SELECT count(*), min(d), max(d) FROM days;

WITH s AS (SELECT value AS k FROM generate_series(0, 30)) SELECT count(*) FROM s JOIN nation ON k = n_nationkey;

WITH s AS (SELECT value AS k FROM generate_series(0, 30)) SELECT k FROM s LEFT ANTI JOIN nation ON k = n_nationkey;

WITH s AS (SELECT * FROM generate_series(1, 3)) SELECT count(*) FROM s WHERE false;

-- Recursive: counting.
WITH RECURSIVE cnt (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM cnt WHERE n < 10) SELECT n FROM cnt;

WITH RECURSIVE cnt (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM cnt WHERE n < 100) SELECT count(*), sum(n) FROM cnt;

WITH RECURSIVE fib (i, a, b) AS (SELECT 1 AS i, CAST(0 AS BIGINT) AS a, CAST(1 AS BIGINT) AS b UNION ALL SELECT i + 1, b, a + b FROM fib WHERE i < 30) SELECT i, a FROM fib;

WITH RECURSIVE pow (e, v) AS (SELECT 0, 1 UNION ALL SELECT e + 1, v * 2 FROM pow WHERE e < 20) SELECT max(v) FROM pow;

WITH RECURSIVE cnt (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM cnt WHERE n < 5) SELECT a.n, b.n FROM cnt a JOIN cnt b ON a.n = b.n * 2;

WITH RECURSIVE cnt (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM cnt WHERE n < 10) SELECT n FROM cnt ORDER BY n DESC LIMIT 3;

WITH RECURSIVE cnt (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM cnt WHERE n < 50) SELECT n % 5 AS r, count(*) FROM cnt GROUP BY n % 5;

WITH RECURSIVE pair (a, b) AS (SELECT 1, 10 UNION ALL SELECT a + 1, b - 1 FROM pair WHERE a < b) SELECT a, b FROM pair;

WITH RECURSIVE s (n, txt) AS (SELECT 1, CAST('x' AS VARCHAR) UNION ALL SELECT n + 1, concat(txt, 'x') FROM s WHERE n < 5) SELECT n, txt FROM s;

WITH RECURSIVE cnt (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM cnt WHERE n < 25) SELECT n_name FROM nation JOIN cnt ON n_nationkey = n WHERE n > 20;

-- Recursive with UNION (duplicates removed, so cycles end).
WITH RECURSIVE reach (node) AS (SELECT 1 UNION SELECT e.dst FROM cte_edges e JOIN reach r ON e.src = r.node) SELECT node FROM reach;

WITH RECURSIVE reach (node) AS (SELECT 4 UNION SELECT e.dst FROM cte_edges e JOIN reach r ON e.src = r.node) SELECT node FROM reach;

WITH RECURSIVE m (v) AS (SELECT 1 UNION SELECT (v * 3) % 7 FROM m) SELECT v FROM m;

WITH RECURSIVE cnt (n) AS (SELECT 1 UNION SELECT n + 1 FROM cnt WHERE n < 10) SELECT count(*) FROM cnt;

-- Recursive tree walks over a memory table.
WITH RECURSIVE sub (id, name, depth) AS (SELECT id, name, 0 FROM cte_tree WHERE parent IS NULL UNION ALL SELECT t.id, t.name, s.depth + 1 FROM cte_tree t JOIN sub s ON t.parent = s.id) SELECT id, name, depth FROM sub;

WITH RECURSIVE sub (id, path) AS (SELECT id, CAST(name AS VARCHAR) FROM cte_tree WHERE id = 1 UNION ALL SELECT t.id, concat(s.path, '/', t.name) FROM cte_tree t JOIN sub s ON t.parent = s.id) SELECT id, path FROM sub ORDER BY path;

WITH RECURSIVE anc (id, ancestor) AS (SELECT id, parent FROM cte_tree WHERE parent IS NOT NULL UNION ALL SELECT a.id, t.parent FROM anc a JOIN cte_tree t ON a.ancestor = t.id WHERE t.parent IS NOT NULL) SELECT id, count(*) AS ancestors FROM anc GROUP BY id;

WITH RECURSIVE sub (id, root, w) AS (SELECT id, id AS root, weight FROM cte_tree WHERE parent IS NULL UNION ALL SELECT t.id, s.root, t.weight FROM cte_tree t JOIN sub s ON t.parent = s.id) SELECT root, count(*), sum(w) FROM sub GROUP BY root;

WITH RECURSIVE up (id, name, parent) AS (SELECT id, name, parent FROM cte_tree WHERE id = 7 UNION ALL SELECT t.id, t.name, t.parent FROM cte_tree t JOIN up u ON t.id = u.parent) SELECT id, name FROM up;

WITH RECURSIVE sub (id, depth) AS (SELECT id, 0 FROM cte_tree WHERE parent IS NULL UNION ALL SELECT t.id, s.depth + 1 FROM cte_tree t JOIN sub s ON t.parent = s.id) SELECT depth, count(*) FROM sub GROUP BY depth;

WITH RECURSIVE sub (id) AS (SELECT id FROM cte_tree WHERE id = 2 UNION ALL SELECT t.id FROM cte_tree t JOIN sub s ON t.parent = s.id) SELECT t.name, t.weight FROM sub JOIN cte_tree t ON sub.id = t.id;

WITH RECURSIVE sub (id) AS (SELECT id FROM cte_tree WHERE id = 100 UNION ALL SELECT t.id FROM cte_tree t JOIN sub s ON t.parent = s.id) SELECT count(*) FROM sub;

WITH RECURSIVE walk (node, steps) AS (SELECT 1, 0 UNION ALL SELECT e.dst, w.steps + 1 FROM cte_edges e JOIN walk w ON e.src = w.node WHERE w.steps < 6) SELECT node, steps FROM walk;

-- Recursive CTEs over TPC-H tables.
WITH RECURSIVE keys (k) AS (SELECT min(n_nationkey) FROM nation UNION ALL SELECT k + 5 FROM keys WHERE k + 5 < 25) SELECT n_name FROM nation JOIN keys ON n_nationkey = k;

WITH RECURSIVE cnt (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM cnt WHERE n < 7) SELECT n, count(o_orderkey) FROM cnt LEFT JOIN orders ON o_custkey = n GROUP BY n;

-- Error: a recursive CTE whose terms are not joined by UNION is not recursive, so it
-- cannot see itself.
WITH RECURSIVE bad (n) AS (SELECT 1 INTERSECT SELECT n + 1 FROM bad WHERE n < 3) SELECT n FROM bad;

-- CTEs mixed with joins and aggregates.
WITH revenue AS (SELECT l_suppkey AS supplier_no, sum(l_extendedprice * (1 - l_discount)) AS total_revenue FROM lineitem WHERE l_shipdate >= DATE '1996-01-01' AND l_shipdate < DATE '1996-04-01' GROUP BY l_suppkey) SELECT s_suppkey, s_name, total_revenue FROM supplier, revenue WHERE s_suppkey = supplier_no AND total_revenue = (SELECT max(total_revenue) FROM revenue);

WITH cust_orders AS (SELECT o_custkey, count(*) AS n FROM orders GROUP BY o_custkey), seg AS (SELECT c_custkey, c_mktsegment FROM customer) SELECT c_mktsegment, sum(n), max(n) FROM seg JOIN cust_orders ON c_custkey = o_custkey GROUP BY c_mktsegment;

WITH parts AS (SELECT p_partkey, p_brand FROM part WHERE p_size < 5), sold AS (SELECT l_partkey, sum(l_quantity) AS q FROM lineitem GROUP BY l_partkey) SELECT p_brand, count(*), sum(q) FROM parts LEFT JOIN sold ON p_partkey = l_partkey GROUP BY p_brand;

WITH t AS (SELECT region, month, amount FROM cte_sales) SELECT a.region, a.month, a.amount, b.amount AS prev FROM t a LEFT JOIN t b ON a.region = b.region AND a.month = b.month + 1;

WITH t AS (SELECT parent, count(*) AS kids, sum(weight) AS w FROM cte_tree GROUP BY parent) SELECT cte_tree.name, t.kids, t.w FROM cte_tree LEFT JOIN t ON cte_tree.id = t.parent;

WITH t AS (SELECT region, sum(amount) AS total FROM cte_sales GROUP BY region) SELECT region, total FROM t ORDER BY total DESC NULLS LAST, region;

WITH nr AS (SELECT n_nationkey, n_name, r_name FROM nation JOIN region ON n_regionkey = r_regionkey) SELECT r_name, count(*), min(n_name), max(n_name) FROM nr GROUP BY r_name;

WITH x AS (SELECT o_orderstatus, o_orderpriority, count(*) AS n FROM orders GROUP BY o_orderstatus, o_orderpriority) SELECT o_orderstatus, sum(n), count(*) FROM x GROUP BY o_orderstatus;

WITH c AS (SELECT id, weight FROM cte_tree) SELECT id FROM c WHERE EXISTS (SELECT 1 FROM cte_tree t WHERE t.parent = c.id AND t.weight > 2);

WITH c AS (SELECT * FROM cte_sales WHERE amount IS NOT NULL) SELECT region, count(*), avg(amount) FROM c GROUP BY region HAVING count(*) > 1;
