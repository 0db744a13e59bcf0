-- Ordering and limits: ORDER BY several keys with ASC / DESC and NULLS FIRST / LAST,
-- ORDER BY expressions, ordinals and aliases, LIMIT / OFFSET, top-k over TPC-H tables,
-- and DISTINCT ON. Every ORDER BY here is total, or the rows it ties are identical.

CREATE TABLE lo_t (id INT, grp VARCHAR, x INT, y DOUBLE, s VARCHAR, d DATE) AS VALUES
  (1, 'a', 3, 1.5, 'apple', DATE '2024-01-03'),
  (2, 'b', NULL, -2.0, 'Banana', DATE '2023-12-31'),
  (3, 'a', 1, NULL, 'cherry', NULL),
  (4, NULL, 3, 0.0, NULL, DATE '2024-02-29'),
  (5, 'c', 2, 'NaN', 'apple', DATE '2024-01-01'),
  (6, 'b', NULL, 'Infinity', 'date', DATE '2022-06-15'),
  (7, 'a', 5, '-Infinity', 'Apple', DATE '2024-01-03'),
  (8, NULL, NULL, NULL, NULL, NULL),
  (9, 'c', 2, 2.5, 'elder', DATE '2025-05-05'),
  (10, 'b', 4, -0.5, 'fig', DATE '2024-01-02');

CREATE TABLE lo_empty (id INT, x INT);

-- One key, each direction and NULL placement.
SELECT id, x FROM lo_t ORDER BY x, id;

SELECT id, x FROM lo_t ORDER BY x ASC NULLS FIRST, id;

SELECT id, x FROM lo_t ORDER BY x DESC, id;

SELECT id, x FROM lo_t ORDER BY x DESC NULLS LAST, id DESC;

SELECT id, y FROM lo_t ORDER BY y, id;

SELECT id, y FROM lo_t ORDER BY y DESC NULLS LAST, id;

SELECT id, s FROM lo_t ORDER BY s NULLS FIRST, id;

SELECT id, s FROM lo_t ORDER BY s DESC, id;

SELECT id, d FROM lo_t ORDER BY d DESC NULLS FIRST, id;

SELECT id, d FROM lo_t ORDER BY d ASC NULLS LAST, id DESC;

SELECT id FROM lo_t ORDER BY id DESC;

-- Several keys with mixed directions.
SELECT id, grp, x FROM lo_t ORDER BY grp, x DESC, id;

SELECT id, grp, x FROM lo_t ORDER BY grp DESC NULLS LAST, x ASC NULLS FIRST, id;

SELECT id, grp, d FROM lo_t ORDER BY grp NULLS FIRST, d DESC NULLS LAST, id DESC;

SELECT grp, x, count(*) FROM lo_t GROUP BY grp, x ORDER BY grp NULLS LAST, x NULLS LAST;

SELECT id, grp, s FROM lo_t ORDER BY s NULLS LAST, grp NULLS LAST, id;

-- ORDER BY expressions, ordinals and aliases.
SELECT id, x FROM lo_t ORDER BY x * -1 NULLS LAST, id;

SELECT id, s FROM lo_t ORDER BY lower(s) NULLS FIRST, s, id;

SELECT id, s FROM lo_t ORDER BY length(s) DESC NULLS LAST, s, id;

SELECT id, x, y FROM lo_t ORDER BY coalesce(x, 0) + coalesce(y, 0), id;

SELECT id, x FROM lo_t ORDER BY CASE WHEN x IS NULL THEN 0 ELSE 1 END, x DESC, id;

SELECT id, grp FROM lo_t ORDER BY 2 NULLS FIRST, 1 DESC;

SELECT id AS ident, x AS val FROM lo_t ORDER BY val NULLS FIRST, ident;

SELECT id, x + id AS total FROM lo_t ORDER BY total NULLS LAST, id;

SELECT grp, count(*) AS n FROM lo_t GROUP BY grp ORDER BY n DESC, grp NULLS FIRST;

SELECT grp, sum(x) FROM lo_t GROUP BY grp ORDER BY sum(x) DESC NULLS LAST, grp;

SELECT id FROM lo_t ORDER BY x, y, id;

SELECT id, d FROM lo_t ORDER BY extract(month FROM d) NULLS FIRST, d, id;

SELECT id FROM lo_t ORDER BY grp IS NULL, id;

-- Ordering by a column that is not selected.
SELECT id FROM lo_t ORDER BY s NULLS FIRST, id DESC;

SELECT grp FROM lo_t WHERE grp IS NOT NULL GROUP BY grp ORDER BY max(x) DESC, grp;

-- Error: an ordinal out of range.
SELECT id, x FROM lo_t ORDER BY 3;

-- Error: DISTINCT with an ORDER BY expression not in the select list.
SELECT DISTINCT grp FROM lo_t ORDER BY x;

-- LIMIT and OFFSET.
SELECT id FROM lo_t ORDER BY id LIMIT 3;

SELECT id FROM lo_t ORDER BY id LIMIT 3 OFFSET 2;

SELECT id FROM lo_t ORDER BY id OFFSET 7;

SELECT id FROM lo_t ORDER BY id LIMIT 0;

SELECT id FROM lo_t ORDER BY id LIMIT 100;

SELECT id FROM lo_t ORDER BY id LIMIT 5 OFFSET 100;

SELECT id, x FROM lo_t ORDER BY x DESC NULLS LAST, id LIMIT 4;

SELECT id, x FROM lo_t ORDER BY x NULLS FIRST, id LIMIT 4 OFFSET 1;

SELECT count(*) FROM (SELECT id FROM lo_t LIMIT 4) s;

SELECT count(*) FROM (SELECT id FROM lo_t OFFSET 4) s;

SELECT count(*) FROM (SELECT * FROM lineitem LIMIT 1000) s;

SELECT count(*) FROM (SELECT * FROM orders LIMIT 20 OFFSET 14990) s;

SELECT id FROM lo_empty ORDER BY id LIMIT 5;

SELECT * FROM (SELECT id, x FROM lo_t ORDER BY id DESC LIMIT 5) s ORDER BY x NULLS FIRST, id;

SELECT grp, max(id) FROM (SELECT * FROM lo_t ORDER BY id LIMIT 6) s GROUP BY grp;

-- Error: a negative LIMIT.
SELECT id FROM lo_t LIMIT -1;

-- Top-k over TPC-H tables.
SELECT o_orderkey, o_totalprice FROM orders ORDER BY o_totalprice DESC, o_orderkey LIMIT 10;

SELECT o_orderkey, o_orderdate FROM orders ORDER BY o_orderdate, o_orderkey LIMIT 10;

SELECT o_orderkey, o_orderdate FROM orders ORDER BY o_orderdate DESC, o_orderkey DESC LIMIT 5 OFFSET 10;

SELECT l_orderkey, l_linenumber, l_extendedprice FROM lineitem ORDER BY l_extendedprice DESC, l_orderkey, l_linenumber LIMIT 15;

SELECT l_orderkey, l_linenumber, l_shipdate FROM lineitem WHERE l_shipmode = 'SHIP' ORDER BY l_shipdate DESC, l_orderkey, l_linenumber LIMIT 7;

SELECT c_custkey, c_name, c_acctbal FROM customer ORDER BY c_acctbal, c_custkey LIMIT 10;

SELECT c_custkey, c_acctbal FROM customer WHERE c_mktsegment = 'AUTOMOBILE' ORDER BY c_acctbal DESC, c_custkey LIMIT 5;

SELECT p_partkey, p_name, p_retailprice FROM part ORDER BY p_retailprice DESC, p_partkey LIMIT 10;

SELECT s_suppkey, s_name FROM supplier ORDER BY s_name DESC LIMIT 5;

SELECT n_name FROM nation ORDER BY n_name LIMIT 5 OFFSET 5;

SELECT n_name, r_name FROM nation JOIN region ON n_regionkey = r_regionkey ORDER BY r_name DESC, n_name;

SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority FROM customer, orders, lineitem WHERE c_mktsegment = 'BUILDING' AND c_custkey = o_custkey AND l_orderkey = o_orderkey AND o_orderdate < DATE '1995-03-15' AND l_shipdate > DATE '1995-03-15' GROUP BY l_orderkey, o_orderdate, o_shippriority ORDER BY revenue DESC, o_orderdate, l_orderkey LIMIT 10;

SELECT c_custkey, count(o_orderkey) AS n FROM customer LEFT JOIN orders ON c_custkey = o_custkey GROUP BY c_custkey ORDER BY n DESC, c_custkey LIMIT 10;

SELECT o_custkey, sum(o_totalprice) AS spent FROM orders GROUP BY o_custkey ORDER BY spent DESC, o_custkey LIMIT 5 OFFSET 3;

SELECT ps_partkey, ps_suppkey, ps_supplycost FROM partsupp ORDER BY ps_supplycost, ps_partkey, ps_suppkey LIMIT 12;

SELECT l_shipmode, count(*) AS n FROM lineitem GROUP BY l_shipmode ORDER BY n DESC, l_shipmode;

SELECT o_orderpriority, o_orderstatus, count(*) FROM orders GROUP BY 1, 2 ORDER BY 1 DESC, 2;

SELECT p_brand, avg(p_retailprice) AS avg_price FROM part GROUP BY p_brand ORDER BY avg_price DESC, p_brand LIMIT 5;

SELECT o_orderkey, o_clerk FROM orders ORDER BY o_clerk DESC, o_orderkey LIMIT 8;

SELECT l_orderkey, l_linenumber, l_comment FROM lineitem ORDER BY l_comment, l_orderkey, l_linenumber LIMIT 5;

SELECT o_orderkey, o_totalprice FROM orders WHERE o_orderkey IN (SELECT l_orderkey FROM lineitem ORDER BY l_quantity DESC, l_orderkey, l_linenumber LIMIT 20) ORDER BY o_orderkey;

-- DISTINCT ON.
SELECT DISTINCT ON (grp) grp, id, x FROM lo_t ORDER BY grp NULLS FIRST, id;

SELECT DISTINCT ON (grp) grp, id, x FROM lo_t ORDER BY grp, x DESC NULLS LAST, id;

SELECT DISTINCT ON (x) x, s FROM lo_t ORDER BY x NULLS FIRST, s NULLS LAST, id;

SELECT DISTINCT ON (grp, x) grp, x, id FROM lo_t ORDER BY grp, x, id DESC;

SELECT DISTINCT ON (o_custkey) o_custkey, o_orderkey, o_totalprice FROM orders WHERE o_custkey < 20 ORDER BY o_custkey, o_totalprice DESC, o_orderkey;

SELECT DISTINCT ON (n_regionkey) n_regionkey, n_name FROM nation ORDER BY n_regionkey, n_name DESC;

SELECT DISTINCT ON (l_shipmode) l_shipmode, l_orderkey, l_linenumber FROM lineitem ORDER BY l_shipmode, l_extendedprice DESC, l_orderkey, l_linenumber;

-- Error: DISTINCT ON expressions must lead the ORDER BY.
SELECT DISTINCT ON (grp) grp, id FROM lo_t ORDER BY id;

-- DISTINCT with ORDER BY and LIMIT.
SELECT DISTINCT grp FROM lo_t ORDER BY grp NULLS FIRST;

SELECT DISTINCT x FROM lo_t ORDER BY x DESC NULLS LAST LIMIT 3;

SELECT DISTINCT l_shipmode FROM lineitem ORDER BY l_shipmode LIMIT 4;

SELECT DISTINCT o_orderpriority, o_orderstatus FROM orders ORDER BY o_orderstatus, o_orderpriority DESC;
