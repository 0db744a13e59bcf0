-- Subqueries: uncorrelated and correlated scalar subqueries in SELECT, WHERE, HAVING,
-- ORDER BY, JOIN ON and CASE; EXISTS / NOT EXISTS, also OR-ed together and nested,
-- IN / NOT IN with NULLs; ANY / ALL; derived tables; scalar subqueries that return
-- more than one row (an error) or no row (NULL).

CREATE TABLE sq_t (id INT, grp VARCHAR, x INT, y DOUBLE) AS VALUES
  (1, 'a', 10, 1.0),
  (2, 'a', 20, 2.0),
  (3, 'b', 30, NULL),
  (4, 'b', NULL, 4.0),
  (5, 'c', 50, 5.0),
  (6, NULL, 60, 6.0),
  (7, 'a', 70, -7.0);

CREATE TABLE sq_u (uid INT, grp VARCHAR, x INT) AS VALUES
  (1, 'a', 10),
  (2, 'a', 25),
  (3, 'b', NULL),
  (4, 'd', 40),
  (5, NULL, 50),
  (6, 'c', 50);

CREATE TABLE sq_nonull (x INT) AS VALUES (10), (30), (99);

CREATE TABLE sq_empty (x INT, grp VARCHAR);

CREATE TABLE sq_codes (code VARCHAR, region_name VARCHAR) AS VALUES
  ('AF', 'AFRICA'), ('AM', 'AMERICA'), ('EU', 'EUROPE'), ('XX', 'NOWHERE');

-- Uncorrelated scalar subqueries.
SELECT (SELECT max(x) FROM sq_t);

SELECT id, x, (SELECT max(x) FROM sq_u) AS umax FROM sq_t;

SELECT id FROM sq_t WHERE x > (SELECT avg(x) FROM sq_t);

SELECT id FROM sq_t WHERE x = (SELECT min(x) FROM sq_u);

SELECT id, x - (SELECT min(x) FROM sq_t) AS dx FROM sq_t WHERE x IS NOT NULL;

SELECT (SELECT count(*) FROM orders) AS o, (SELECT count(*) FROM customer) AS c;

SELECT n_name FROM nation WHERE n_regionkey = (SELECT r_regionkey FROM region WHERE r_name = 'ASIA');

SELECT count(*) FROM orders WHERE o_totalprice > (SELECT avg(o_totalprice) FROM orders);

SELECT c_name FROM customer WHERE c_acctbal = (SELECT max(c_acctbal) FROM customer);

SELECT (SELECT x FROM sq_t WHERE id = 1) + (SELECT x FROM sq_u WHERE uid = 2);

-- A scalar subquery with no row is NULL.
SELECT (SELECT x FROM sq_t WHERE id = 100) AS none;

SELECT id, (SELECT x FROM sq_empty) AS e FROM sq_t;

SELECT count(*) FROM sq_t WHERE x > (SELECT x FROM sq_t WHERE id = 100);

SELECT (SELECT max(x) FROM sq_empty) AS m, (SELECT count(*) FROM sq_empty) AS c;

-- Errors: a scalar subquery with more than one row.
SELECT (SELECT v FROM (VALUES (1), (2)) s(v));

SELECT id FROM sq_t WHERE x = (SELECT x FROM sq_u);

SELECT id, (SELECT x FROM sq_u WHERE x > 30) FROM sq_t;

SELECT count(*) FROM nation WHERE n_regionkey = (SELECT r_regionkey FROM region);

-- Error: a scalar subquery with more than one column.
SELECT (SELECT x, grp FROM sq_t WHERE id = 1);

-- Correlated scalar subqueries in SELECT.
SELECT id, (SELECT count(*) FROM sq_u WHERE sq_u.grp = sq_t.grp) AS n FROM sq_t;

SELECT id, (SELECT max(u.x) FROM sq_u u WHERE u.grp = sq_t.grp) AS m FROM sq_t;

-- Error: a correlated scalar subquery with a non-equality correlation is not supported here.
SELECT id, (SELECT sum(u.x) FROM sq_u u WHERE u.x < sq_t.x) AS below FROM sq_t;

SELECT id, (SELECT max(u.x) FROM sq_u u WHERE u.uid = sq_t.id) AS ux FROM sq_t;

SELECT id, (SELECT min(u.uid) FROM sq_u u WHERE u.grp = sq_t.grp AND u.x > 20) AS first_uid FROM sq_t;

SELECT r_name, (SELECT count(*) FROM nation WHERE n_regionkey = r_regionkey) AS nations FROM region;

SELECT n_name, (SELECT count(*) FROM supplier WHERE s_nationkey = n_nationkey) AS suppliers FROM nation;

SELECT c_custkey, (SELECT count(*) FROM orders WHERE o_custkey = c_custkey) AS n FROM customer WHERE c_custkey <= 10;

SELECT c_custkey, (SELECT max(o_orderdate) FROM orders WHERE o_custkey = c_custkey) AS last_order FROM customer WHERE c_custkey BETWEEN 20 AND 40;

SELECT code, (SELECT count(*) FROM nation JOIN region ON n_regionkey = r_regionkey WHERE r_name = region_name) AS n FROM sq_codes;

-- Error: a correlated scalar subquery without an aggregate is rejected by the analyzer.
SELECT id, (SELECT u.x FROM sq_u u WHERE u.grp = sq_t.grp) FROM sq_t;

-- Correlated scalar subqueries in WHERE.
SELECT id FROM sq_t WHERE x > (SELECT avg(u.x) FROM sq_u u WHERE u.grp = sq_t.grp);

SELECT id FROM sq_t WHERE x = (SELECT max(u.x) FROM sq_u u WHERE u.grp = sq_t.grp);

SELECT id FROM sq_t WHERE (SELECT count(*) FROM sq_u u WHERE u.grp = sq_t.grp) = 0;

SELECT id FROM sq_t WHERE (SELECT count(*) FROM sq_u u WHERE u.grp = sq_t.grp) >= 2;

SELECT count(*) FROM customer WHERE c_acctbal > (SELECT avg(c2.c_acctbal) FROM customer c2 WHERE c2.c_nationkey = customer.c_nationkey);

SELECT p_partkey FROM part WHERE p_size = 1 AND p_retailprice < (SELECT avg(p2.p_retailprice) FROM part p2 WHERE p2.p_brand = part.p_brand);

SELECT sum(l_extendedprice) FROM lineitem, part WHERE p_partkey = l_partkey AND p_brand = 'Brand#23' AND l_quantity < (SELECT 0.2 * avg(l2.l_quantity) FROM lineitem l2 WHERE l2.l_partkey = p_partkey);

-- Scalar subqueries in HAVING.
SELECT grp, sum(x) FROM sq_t GROUP BY grp HAVING sum(x) > (SELECT avg(x) FROM sq_u);

SELECT grp, count(*) FROM sq_t GROUP BY grp HAVING count(*) > (SELECT count(*) FROM sq_u WHERE sq_u.grp = 'a') - 1;

SELECT o_orderpriority, count(*) FROM orders GROUP BY o_orderpriority HAVING count(*) > (SELECT count(*) / 5 FROM orders);

SELECT c_nationkey, sum(c_acctbal) FROM customer GROUP BY c_nationkey HAVING sum(c_acctbal) > (SELECT sum(c_acctbal) / 25 FROM customer);

SELECT grp, max(x) FROM sq_t GROUP BY grp HAVING max(x) > (SELECT max(u.x) FROM sq_u u WHERE u.grp = sq_t.grp);

-- Scalar subqueries in ORDER BY.
SELECT id, x FROM sq_t ORDER BY x + (SELECT max(x) FROM sq_u), id;

SELECT id FROM sq_t ORDER BY abs(coalesce(x, 0) - (SELECT avg(x) FROM sq_u)), id;

SELECT id, grp, (SELECT count(*) FROM sq_u WHERE sq_u.grp = sq_t.grp) AS n FROM sq_t ORDER BY n, id;

-- Error: a correlated scalar subquery in ORDER BY is rejected by the analyzer.
SELECT r_name FROM region ORDER BY (SELECT count(*) FROM nation WHERE n_regionkey = r_regionkey) DESC, r_name;

-- Scalar subqueries in JOIN ON.
SELECT sq_t.id, sq_u.uid FROM sq_t JOIN sq_u ON sq_t.grp = sq_u.grp AND sq_u.x > (SELECT min(x) FROM sq_t);

SELECT sq_t.id, sq_u.uid FROM sq_t LEFT JOIN sq_u ON sq_t.id = sq_u.uid AND sq_u.x < (SELECT avg(x) FROM sq_u);

SELECT n_name, r_name FROM nation JOIN region ON n_regionkey = r_regionkey AND r_regionkey = (SELECT max(r_regionkey) FROM region);

-- Scalar subqueries in CASE.
SELECT id, CASE WHEN x > (SELECT avg(x) FROM sq_t) THEN 'high' ELSE 'low' END AS band FROM sq_t;

-- Error: EXISTS in a projection is not implemented.
SELECT id, CASE WHEN EXISTS (SELECT 1 FROM sq_u WHERE sq_u.grp = sq_t.grp) THEN 'shared' ELSE 'own' END AS kind FROM sq_t;

SELECT id, CASE grp WHEN 'a' THEN (SELECT max(x) FROM sq_u) WHEN 'b' THEN (SELECT min(x) FROM sq_u) ELSE -1 END AS pick FROM sq_t;

SELECT id, CASE WHEN x IS NULL THEN (SELECT count(*) FROM sq_u) ELSE (SELECT count(*) FROM sq_u u WHERE u.grp = sq_t.grp) END AS c FROM sq_t;

SELECT id, coalesce((SELECT max(u.x) FROM sq_u u WHERE u.grp = sq_t.grp), -1) AS m FROM sq_t;

-- EXISTS and NOT EXISTS.
SELECT id FROM sq_t WHERE EXISTS (SELECT 1 FROM sq_u WHERE sq_u.grp = sq_t.grp);

SELECT id FROM sq_t WHERE NOT EXISTS (SELECT 1 FROM sq_u WHERE sq_u.grp = sq_t.grp);

SELECT id FROM sq_t WHERE EXISTS (SELECT 1 FROM sq_u WHERE sq_u.x = sq_t.x);

SELECT id FROM sq_t WHERE EXISTS (SELECT 1 FROM sq_u WHERE sq_u.grp = sq_t.grp AND sq_u.x > sq_t.x);

SELECT id FROM sq_t WHERE NOT EXISTS (SELECT 1 FROM sq_u WHERE sq_u.x >= sq_t.x);

SELECT id FROM sq_t WHERE EXISTS (SELECT 1 FROM sq_u);

SELECT id FROM sq_t WHERE NOT EXISTS (SELECT 1 FROM sq_empty);

SELECT id FROM sq_t WHERE EXISTS (SELECT 1 FROM sq_empty);

SELECT id FROM sq_t WHERE EXISTS (SELECT 1 FROM sq_u WHERE sq_u.grp = sq_t.grp) AND x > 15;

SELECT id FROM sq_t WHERE x > 15 OR EXISTS (SELECT 1 FROM sq_u WHERE sq_u.x = sq_t.x);

SELECT o_orderpriority, count(*) FROM orders WHERE o_orderdate >= DATE '1993-07-01' AND o_orderdate < DATE '1993-10-01' AND EXISTS (SELECT 1 FROM lineitem WHERE l_orderkey = o_orderkey AND l_commitdate < l_receiptdate) GROUP BY o_orderpriority;

SELECT count(*) FROM supplier WHERE NOT EXISTS (SELECT 1 FROM partsupp WHERE ps_suppkey = s_suppkey AND ps_availqty < 100);

SELECT count(*) FROM orders o WHERE EXISTS (SELECT 1 FROM lineitem l WHERE l.l_orderkey = o.o_orderkey AND l.l_shipmode = 'AIR') AND NOT EXISTS (SELECT 1 FROM lineitem l WHERE l.l_orderkey = o.o_orderkey AND l.l_shipmode = 'MAIL');

-- EXISTS OR-ed together, and nested.
SELECT id FROM sq_t WHERE EXISTS (SELECT 1 FROM sq_u WHERE sq_u.grp = sq_t.grp) OR EXISTS (SELECT 1 FROM sq_u WHERE sq_u.x = sq_t.x);

SELECT id FROM sq_t WHERE EXISTS (SELECT 1 FROM sq_u WHERE sq_u.uid = sq_t.id AND sq_u.x > 30) OR EXISTS (SELECT 1 FROM sq_u WHERE sq_u.uid = sq_t.id AND sq_u.grp = 'a');

SELECT id FROM sq_t WHERE NOT EXISTS (SELECT 1 FROM sq_u WHERE sq_u.grp = sq_t.grp) OR EXISTS (SELECT 1 FROM sq_u WHERE sq_u.x = sq_t.x);

SELECT id FROM sq_t WHERE EXISTS (SELECT 1 FROM sq_u WHERE sq_u.grp = sq_t.grp AND EXISTS (SELECT 1 FROM sq_nonull WHERE sq_nonull.x = sq_u.x));

SELECT id FROM sq_t WHERE EXISTS (SELECT 1 FROM sq_u WHERE sq_u.grp = sq_t.grp AND (EXISTS (SELECT 1 FROM sq_nonull WHERE sq_nonull.x = sq_u.x) OR EXISTS (SELECT 1 FROM sq_nonull WHERE sq_nonull.x = sq_u.x + 5)));

SELECT id FROM sq_t WHERE EXISTS (SELECT 1 FROM sq_u WHERE sq_u.uid = sq_t.id AND (EXISTS (SELECT 1 FROM sq_nonull n WHERE n.x = sq_u.x) OR EXISTS (SELECT 1 FROM sq_t t2 WHERE t2.x = sq_u.x)));

SELECT n_name FROM nation WHERE EXISTS (SELECT 1 FROM supplier WHERE s_nationkey = n_nationkey AND s_acctbal > 9000) OR EXISTS (SELECT 1 FROM customer WHERE c_nationkey = n_nationkey AND c_acctbal < -990);

SELECT count(*) FROM customer WHERE EXISTS (SELECT 1 FROM orders WHERE o_custkey = c_custkey AND o_orderpriority = '1-URGENT') OR EXISTS (SELECT 1 FROM orders WHERE o_custkey = c_custkey AND o_totalprice > 400000);

SELECT id FROM sq_t WHERE NOT (EXISTS (SELECT 1 FROM sq_u WHERE sq_u.grp = sq_t.grp) OR EXISTS (SELECT 1 FROM sq_u WHERE sq_u.x = sq_t.x));

-- IN and NOT IN with NULLs.
SELECT id FROM sq_t WHERE x IN (SELECT x FROM sq_u);

SELECT id FROM sq_t WHERE x NOT IN (SELECT x FROM sq_u);

SELECT id FROM sq_t WHERE x NOT IN (SELECT x FROM sq_nonull);

SELECT id FROM sq_t WHERE x NOT IN (SELECT x FROM sq_u WHERE x IS NOT NULL);

SELECT id FROM sq_t WHERE grp IN (SELECT grp FROM sq_u);

SELECT id FROM sq_t WHERE grp NOT IN (SELECT grp FROM sq_u);

SELECT id FROM sq_t WHERE grp NOT IN (SELECT grp FROM sq_u WHERE grp IS NOT NULL);

SELECT id FROM sq_t WHERE x IN (SELECT x FROM sq_empty);

SELECT id FROM sq_t WHERE x NOT IN (SELECT x FROM sq_empty);

SELECT id FROM sq_t WHERE x IN (SELECT u.x FROM sq_u u WHERE u.grp = sq_t.grp);

-- Error: a correlated NOT IN needs a null-aware anti join on two keys, which is not supported.
SELECT id FROM sq_t WHERE x NOT IN (SELECT u.x FROM sq_u u WHERE u.grp = sq_t.grp);

-- Errors: IN a subquery in a projection is not implemented.
SELECT id, x IN (SELECT x FROM sq_nonull) AS hit FROM sq_t;

SELECT id, x NOT IN (SELECT x FROM sq_u) AS miss FROM sq_t;

SELECT id FROM sq_t WHERE x IN (SELECT x FROM sq_u) OR y > 5;

SELECT id FROM sq_t WHERE x IN (SELECT x + 10 FROM sq_nonull) AND grp IN (SELECT grp FROM sq_u);

SELECT id FROM sq_t WHERE id IN (SELECT uid FROM sq_u WHERE x IN (SELECT x FROM sq_nonull));

SELECT n_name FROM nation WHERE n_regionkey IN (SELECT r_regionkey FROM region WHERE r_name IN (SELECT region_name FROM sq_codes));

SELECT count(*) FROM part WHERE p_partkey NOT IN (SELECT ps_partkey FROM partsupp WHERE ps_availqty > 9000);

SELECT count(*) FROM orders WHERE o_orderkey IN (SELECT l_orderkey FROM lineitem WHERE l_quantity > 49);

SELECT s_name FROM supplier WHERE s_suppkey IN (SELECT ps_suppkey FROM partsupp WHERE ps_partkey IN (SELECT p_partkey FROM part WHERE p_name LIKE 'forest%'));

-- ANY and ALL.
SELECT id FROM sq_t WHERE x > ANY (SELECT x FROM sq_nonull);

SELECT id FROM sq_t WHERE x = ANY (SELECT x FROM sq_u);

SELECT id FROM sq_t WHERE x <= ALL (SELECT x FROM sq_nonull);

SELECT id FROM sq_t WHERE x > ALL (SELECT x FROM sq_u);

SELECT id FROM sq_t WHERE x <> ALL (SELECT x FROM sq_nonull);

SELECT id FROM sq_t WHERE x > ALL (SELECT x FROM sq_empty);

SELECT id FROM sq_t WHERE x >= ANY (SELECT x FROM sq_empty);

-- Subqueries in FROM.
SELECT grp, total FROM (SELECT grp, sum(x) AS total FROM sq_t GROUP BY grp) s WHERE total > 20;

SELECT s.id, s.x2 FROM (SELECT id, x * 2 AS x2 FROM sq_t WHERE x IS NOT NULL) s JOIN sq_u ON s.id = sq_u.uid;

SELECT avg(n) FROM (SELECT o_custkey, count(*) AS n FROM orders GROUP BY o_custkey) per_customer;

SELECT c_count, count(*) AS custdist FROM (SELECT c_custkey, count(o_orderkey) AS c_count FROM customer LEFT JOIN orders ON c_custkey = o_custkey AND o_comment NOT LIKE '%special%requests%' GROUP BY c_custkey) c_orders GROUP BY c_count;

SELECT max(total) FROM (SELECT l_suppkey, sum(l_extendedprice) AS total FROM lineitem GROUP BY l_suppkey) per_supplier;

SELECT * FROM (SELECT * FROM (SELECT id, grp FROM sq_t WHERE id > 1) a WHERE id < 6) b WHERE grp IS NOT NULL;

SELECT a.grp, a.n, b.n FROM (SELECT grp, count(*) AS n FROM sq_t GROUP BY grp) a FULL JOIN (SELECT grp, count(*) AS n FROM sq_u GROUP BY grp) b ON a.grp = b.grp;

SELECT * FROM (SELECT 1 AS one) s;

SELECT count(*) FROM (SELECT * FROM sq_empty) e;

-- Error: a derived table cannot see the columns of a table beside it.
SELECT id, m FROM sq_t, (SELECT max(x) AS m FROM sq_u WHERE sq_u.grp = sq_t.grp) s;
