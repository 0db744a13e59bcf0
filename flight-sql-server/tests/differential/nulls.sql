-- NULL semantics: three-valued logic, NULL in comparisons and arithmetic, IS [NOT]
-- DISTINCT FROM, COALESCE/NULLIF/NVL/NVL2/IFNULL, CASE with NULL, NULL in IN lists and
-- NOT IN with NULLs (constant lists and subqueries), NULL in aggregates (count(x) versus
-- count(*), aggregates of empty and all-NULL input), NULL keys in GROUP BY, DISTINCT and
-- joins, and ORDER BY NULLS FIRST/LAST, over created tables and TPC-H.

-- Three-valued logic
SELECT NULL AS n, arrow_typeof(NULL) AS t, NULL = NULL AS eq, NULL <> 1 AS ne, NULL AND false AS a, NULL OR true AS o, NOT NULL AS nn;
SELECT true AND NULL AS tn, false AND NULL AS fn, true OR NULL AS t_or, false OR NULL AS f_or, NULL AND NULL AS nn, NULL OR NULL AS n_or;
SELECT NULL IS NULL AS a, NULL IS TRUE AS b, NULL IS UNKNOWN AS c, NULL IS NOT FALSE AS d, NULL IS NOT NULL AS e, (NULL = NULL) IS NULL AS f;
SELECT CAST(NULL AS BOOLEAN) IS FALSE AS a, CAST(NULL AS BOOLEAN) IS NOT TRUE AS b, NOT CAST(NULL AS BOOLEAN) IS NULL AS c;

-- Comparisons and IS [NOT] DISTINCT FROM
SELECT NULL < 1 AS lt, NULL >= NULL AS ge, 1 = CAST(NULL AS INT) AS eq_int, 'a' = CAST(NULL AS VARCHAR) AS eq_str, NULL BETWEEN 1 AND 2 AS btw, 1 BETWEEN NULL AND 2 AS btw2;
SELECT NULL IS DISTINCT FROM NULL AS a, 1 IS DISTINCT FROM NULL AS b, NULL IS NOT DISTINCT FROM NULL AS c, 1 IS NOT DISTINCT FROM 1 AS d, 1 IS DISTINCT FROM 2 AS e;
SELECT NULL LIKE 'a' AS a, 'a' LIKE NULL AS b, NULL ~ 'a' AS c, greatest(1, NULL, 3) AS g, least(NULL, NULL) AS l, least(CAST(NULL AS INT), 2) AS l2;
SELECT [1, NULL] = [1, NULL] AS list_eq, named_struct('a', NULL) IS NULL AS struct_is_null, [NULL] IS NULL AS list_is_null;

-- NULL in IN lists
SELECT 1 IN (1, NULL) AS a, 2 IN (1, NULL) AS b, 2 NOT IN (1, NULL) AS c, NULL IN (1) AS d, NULL NOT IN (1, 2) AS e, 1 NOT IN (2, 3) AS f;
SELECT CAST(NULL AS INT) IN (NULL) AS a, 'x' IN ('x', NULL) AS b, 'y' NOT IN ('x', NULL) AS c;

-- Functions of NULL
SELECT coalesce(NULL, NULL, 3) AS a, nullif(1, 1) AS b, nullif(1, 2) AS c, nvl(NULL, 5) AS d, nvl2(NULL, 'a', 'b') AS e, ifnull(NULL, 5) AS f, coalesce(NULL) AS g;
SELECT CAST(nvl(CAST(NULL AS VARCHAR), 'x') AS VARCHAR) AS a, nvl2(1, 'set', 'unset') AS b, coalesce(CAST(NULL AS INT), CAST(NULL AS BIGINT), 7) AS c, arrow_typeof(coalesce(CAST(NULL AS INT), 7)) AS t;
SELECT nvl(NULL, 'x') AS d;
SELECT NULL + 1 AS a, NULL * 0 AS b, NULL || 'x' AS c, 1 / NULL AS d, -NULL AS e, abs(NULL) AS f, NULL % 2 AS g;
SELECT concat(NULL, NULL) AS a, concat_ws(NULL, 'a', 'b') AS b, concat_ws(',', NULL, NULL) AS c, length(NULL) AS d,
       CAST(upper(NULL) AS VARCHAR) AS e, CAST(substr(NULL, 1) AS VARCHAR) AS f;
SELECT NULL::INT AS a, arrow_typeof(NULL::INT) AS t, CAST(NULL AS VARCHAR) AS b, CAST(NULL AS DATE) AS c, CAST(NULL AS DECIMAL(5,2)) AS d, CAST(NULL AS DOUBLE) AS e;
SELECT isnan(CAST(NULL AS DOUBLE)) AS a, CAST(NULL AS DOUBLE) = CAST('NaN' AS DOUBLE) AS b, array_position([1, NULL], NULL) AS c, array_has([1, NULL], NULL) AS d;
SELECT 1 / 0 IS NULL;
SELECT CASE WHEN NULL IS NULL THEN 'null' END AS a, 1 / nullif(0, 0) AS safe_div;

-- CASE with NULL
SELECT CASE NULL WHEN NULL THEN 'eq' ELSE 'ne' END AS a, CASE WHEN NULL THEN 'y' ELSE 'n' END AS b, CASE 1 WHEN 2 THEN 'two' END AS c,
       CASE WHEN 1 = 1 THEN NULL ELSE 5 END AS d, arrow_typeof(CASE WHEN 1 = 1 THEN NULL ELSE 5 END) AS t;

-- Aggregates over NULLs, all-NULL input and empty input
SELECT sum(x) AS s, count(x) AS c, count(*) AS n, avg(x) AS a, min(x) AS mn, max(x) AS mx FROM (VALUES (CAST(NULL AS INT)), (NULL)) t(x);
SELECT sum(x) AS s, count(*) AS n, array_agg(x) AS arr, string_agg(CAST(x AS VARCHAR), ',') AS str, bool_and(x > 0) AS b FROM (VALUES (1)) t(x) WHERE false;
SELECT count(*) AS n FROM (VALUES (1)) t(x) WHERE false GROUP BY x;
SELECT bool_and(x) AS ba, bool_or(x) AS bo, count(DISTINCT x) AS cd FROM (VALUES (true), (NULL), (true)) t(x);
SELECT string_agg(x, ',' ORDER BY x) AS s, array_agg(x ORDER BY x NULLS FIRST) AS a, first_value(x ORDER BY x) AS f, last_value(x ORDER BY x NULLS FIRST) AS l FROM (VALUES ('a'), (NULL), ('b')) t(x);
SELECT 1 = ANY(SELECT NULL);

-- A table full of NULLs
CREATE TABLE n (id INT, grp VARCHAR, x INT, y DOUBLE, flag BOOLEAN, s VARCHAR);
INSERT INTO n VALUES
  (1, 'a', 1, 1.5, true, 'one'),
  (2, 'a', NULL, 2.5, false, NULL),
  (3, 'b', 3, NULL, NULL, 'three'),
  (4, NULL, NULL, NULL, NULL, NULL),
  (5, 'b', 5, 5.5, true, ''),
  (6, NULL, 6, NULL, false, 'six'),
  (7, 'c', NULL, NULL, NULL, NULL);
CREATE TABLE n2 AS SELECT * FROM (VALUES (1, 'a', 10), (NULL, 'b', 20), (3, NULL, 30), (NULL, NULL, 40), (8, 'z', 50)) AS v(id, grp, val);
SELECT * FROM n;
SELECT * FROM n ORDER BY x NULLS FIRST, id;
SELECT * FROM n ORDER BY x NULLS LAST, id;
SELECT id, grp FROM n ORDER BY grp DESC, id;
SELECT id, grp FROM n ORDER BY grp DESC NULLS LAST, id;
SELECT id, y FROM n ORDER BY y ASC, id DESC;
SELECT id, flag FROM n ORDER BY flag NULLS FIRST, id;
SELECT id, s FROM n ORDER BY s, id;
SELECT id, x, y FROM n ORDER BY x + y NULLS FIRST, id;
SELECT id FROM n ORDER BY coalesce(x, -1) DESC, id LIMIT 4;

-- Filters and predicates on NULLs
SELECT id FROM n WHERE x = NULL;
SELECT id FROM n WHERE x IS NULL ORDER BY id;
SELECT id FROM n WHERE x IS NOT NULL AND y IS NULL ORDER BY id;
SELECT id FROM n WHERE x > 2 ORDER BY id;
SELECT id FROM n WHERE NOT (x > 2) ORDER BY id;
SELECT id FROM n WHERE x > 2 OR y > 2 ORDER BY id;
SELECT id FROM n WHERE flag ORDER BY id;
SELECT id FROM n WHERE NOT flag ORDER BY id;
SELECT id FROM n WHERE flag IS NOT TRUE ORDER BY id;
SELECT id FROM n WHERE flag IS DISTINCT FROM true ORDER BY id;
SELECT id FROM n WHERE x IS NOT DISTINCT FROM NULL ORDER BY id;
SELECT id FROM n WHERE x IN (1, 3, NULL) ORDER BY id;
SELECT id FROM n WHERE x NOT IN (1, 3) ORDER BY id;
SELECT id FROM n WHERE x NOT IN (1, 3, NULL) ORDER BY id;
SELECT id FROM n WHERE s = '' ORDER BY id;
SELECT id FROM n WHERE s LIKE '%e' ORDER BY id;

-- Expressions over NULL columns
SELECT id, x + 1 AS plus, x * y AS times, coalesce(x, 0) AS cx, nullif(x, 1) AS nx, nvl2(x, 'has x', 'no x') AS has, coalesce(s, grp, 'none') AS label FROM n;
SELECT id, CASE WHEN x IS NULL THEN 'missing' WHEN x > 3 THEN 'big' ELSE 'small' END AS size, CASE x WHEN 1 THEN 'one' WHEN NULL THEN 'null' ELSE 'other' END AS word FROM n;
SELECT id, x IS DISTINCT FROM y AS d, x = y AS eq, flag AND x > 2 AS conj, flag OR x > 2 AS disj, NOT flag AS neg FROM n;
SELECT id, greatest(x, y) AS g, least(x, id) AS l, concat(grp, s) AS c, grp || s AS pipe, length(s) AS len FROM n;

-- Aggregates: count(x) versus count(*), NULLs skipped, all-NULL groups
SELECT count(*) AS rows_n, count(x) AS xs, count(y) AS ys, count(grp) AS grps, count(DISTINCT grp) AS dgrps, count(flag) AS flags FROM n;
SELECT sum(x) AS s, avg(x) AS a, min(x) AS mn, max(x) AS mx, sum(y) AS sy, avg(y) AS ay, bool_and(flag) AS ba, bool_or(flag) AS bo FROM n;
SELECT count(x + y) AS both_set, count(coalesce(x, y)) AS either, sum(coalesce(x, 0)) AS zeroed FROM n;
SELECT grp, count(*) AS n, count(x) AS xs, sum(x) AS s, avg(y) AS a, min(s) AS first_s FROM n GROUP BY grp;
SELECT grp, count(*) AS n FROM n GROUP BY grp ORDER BY grp NULLS FIRST;
SELECT grp, count(*) AS n FROM n GROUP BY grp ORDER BY grp NULLS LAST;
SELECT grp, sum(x) AS s FROM n GROUP BY grp HAVING sum(x) IS NULL;
SELECT grp, flag, count(*) AS n FROM n GROUP BY grp, flag;
SELECT x IS NULL AS missing, count(*) AS n FROM n GROUP BY x IS NULL ORDER BY missing;
SELECT grp, array_agg(x ORDER BY x NULLS FIRST) AS xs, string_agg(s, '|' ORDER BY id) AS ss FROM n GROUP BY grp ORDER BY grp NULLS FIRST;
SELECT grp, max(x) AS mx FROM n WHERE x IS NULL GROUP BY grp;
SELECT DISTINCT grp FROM n;
SELECT DISTINCT grp, flag FROM n;
SELECT count(*) AS n FROM (SELECT DISTINCT x FROM n) d;
SELECT grp FROM n UNION SELECT grp FROM n2;
SELECT grp FROM n INTERSECT SELECT grp FROM n2;
SELECT grp FROM n EXCEPT SELECT grp FROM n2;

-- Window functions with NULLs
SELECT id, x, sum(x) OVER (ORDER BY id) AS running, count(x) OVER (ORDER BY id) AS cnt, lag(x) OVER (ORDER BY id) AS prev FROM n ORDER BY id;
SELECT id, grp, rank() OVER (ORDER BY x NULLS FIRST) AS r, first_value(x) IGNORE NULLS OVER (ORDER BY id) AS first_x FROM n ORDER BY id;
SELECT id, grp, row_number() OVER (PARTITION BY grp ORDER BY id) AS rn FROM n ORDER BY id;

-- Joins on NULL keys: NULL never matches NULL, except with IS NOT DISTINCT FROM
SELECT n.id, n2.val FROM n JOIN n2 ON n.grp = n2.grp ORDER BY n.id, n2.val;
SELECT n.id, n2.val FROM n JOIN n2 ON n.grp IS NOT DISTINCT FROM n2.grp ORDER BY n.id, n2.val;
SELECT n.id, n2.val FROM n LEFT JOIN n2 ON n.id = n2.id ORDER BY n.id, n2.val;
SELECT n.id, n2.val FROM n RIGHT JOIN n2 ON n.id = n2.id ORDER BY n.id NULLS FIRST, n2.val;
SELECT n.id, n2.val FROM n FULL JOIN n2 ON n.id = n2.id;
SELECT n.id, n2.val FROM n JOIN n2 ON n.id = n2.id AND n.grp = n2.grp;
SELECT count(*) AS n FROM n a JOIN n b ON a.x = b.x;
SELECT count(*) AS n FROM n a JOIN n b ON a.x IS NOT DISTINCT FROM b.x;
SELECT n.id FROM n WHERE n.grp NOT IN (SELECT grp FROM n2);
SELECT n.id FROM n WHERE n.grp NOT IN (SELECT grp FROM n2 WHERE grp IS NOT NULL) ORDER BY n.id;
SELECT n.id FROM n WHERE n.grp IN (SELECT grp FROM n2) ORDER BY n.id;
SELECT n.id FROM n WHERE NOT EXISTS (SELECT 1 FROM n2 WHERE n2.grp = n.grp) ORDER BY n.id;
SELECT n2.val FROM n2 WHERE n2.id NOT IN (SELECT x FROM n);
SELECT n2.val FROM n2 WHERE n2.id NOT IN (SELECT x FROM n WHERE x IS NOT NULL) ORDER BY n2.val;

-- NULLs produced by outer joins against TPC-H
SELECT c_custkey, count(o_orderkey) AS orders_n, count(*) AS rows_n, sum(o_totalprice) AS total
FROM customer LEFT JOIN orders ON c_custkey = o_custkey WHERE c_custkey < 12 GROUP BY c_custkey ORDER BY c_custkey;
SELECT count(*) AS customers_without_orders FROM customer LEFT JOIN orders ON c_custkey = o_custkey WHERE o_orderkey IS NULL;
SELECT n.n_name, s.s_suppkey FROM nation n LEFT JOIN supplier s ON n.n_nationkey = s.s_nationkey AND s.s_acctbal > 9900 ORDER BY n.n_name, s.s_suppkey NULLS FIRST;
SELECT nullif(l_returnflag, 'N') AS flag, count(*) AS n, count(nullif(l_returnflag, 'N')) AS non_null FROM lineitem GROUP BY 1 ORDER BY 1 NULLS FIRST;
SELECT CASE WHEN l_discount = 0 THEN NULL ELSE l_discount END AS disc, count(*) AS n FROM lineitem WHERE l_discount < 0.03 GROUP BY 1 ORDER BY 1 NULLS LAST;
SELECT avg(nullif(l_discount, 0)) AS avg_nonzero, avg(l_discount) AS avg_all, sum(CASE WHEN l_discount = 0 THEN NULL ELSE 1 END) AS nonzero FROM lineitem;
SELECT o_orderstatus, min(CASE WHEN o_totalprice > 400000 THEN o_orderkey END) AS first_big, count(CASE WHEN o_totalprice > 400000 THEN 1 END) AS bigs
FROM orders GROUP BY o_orderstatus ORDER BY o_orderstatus;
SELECT p.p_partkey, ps.ps_suppkey FROM part p LEFT JOIN partsupp ps ON p.p_partkey = ps.ps_partkey AND ps.ps_availqty < 10 WHERE p.p_partkey < 6
ORDER BY p.p_partkey, ps.ps_suppkey NULLS LAST;
SELECT r.r_name, count(n.n_nationkey) AS nations FROM region r FULL JOIN (SELECT * FROM nation WHERE n_name LIKE 'A%') n ON r.r_regionkey = n.n_regionkey
GROUP BY r.r_name ORDER BY r.r_name;
