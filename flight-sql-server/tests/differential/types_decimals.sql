-- Decimal types: Decimal128 at several precisions and scales (including negative scale),
-- Decimal256 through arrow_cast and wide CASTs. Literal casts and their rounding, the result
-- types of arithmetic, division and rounding functions, overflow and out-of-range errors,
-- casts to and from other types, and sum/avg/min/max, GROUP BY and joins over decimal
-- columns of created tables and of TPC-H (whose money columns are Decimal128(15, 2)).

-- Literals and casts
SELECT CAST('1.5' AS DECIMAL(10,2)) AS a, arrow_typeof(CAST('1.5' AS DECIMAL(10,2))) AS t;
SELECT CAST('123.455' AS DECIMAL(5,2)) AS half_up, CAST('-123.455' AS DECIMAL(5,2)) AS neg_half, CAST('123.454' AS DECIMAL(5,2)) AS down;
SELECT CAST(123.456 AS DECIMAL(5,2)) AS from_float, CAST(7 AS DECIMAL(3,0)) AS from_int, CAST(5 AS DECIMAL) AS default_precision;
SELECT arrow_typeof(CAST(5 AS DECIMAL)) AS a, arrow_typeof(CAST(5 AS NUMERIC(4,2))) AS b, arrow_typeof(CAST(1 AS DECIMAL(39,0))) AS c;
SELECT CAST('99999999999999999999999999999999999999' AS DECIMAL(38,0)) AS max38, CAST('-0.00000000000000000000000000000000000001' AS DECIMAL(38,38)) AS tiny;
SELECT arrow_cast(CAST('1.5' AS DECIMAL(5,1)), 'Decimal256(60, 30)') AS wide, arrow_typeof(arrow_cast(1, 'Decimal256(76, 10)')) AS t;
SELECT CAST('12345678901234567890123456789012345678901234567890' AS DECIMAL(60,0)) AS d256;
SELECT arrow_cast(125, 'Decimal128(5, -1)') AS neg_scale, arrow_typeof(arrow_cast(125, 'Decimal128(5, -1)')) AS t;
SELECT CAST(12 AS DECIMAL(5,-1)) AS neg_scale;
SELECT CAST(CAST('1.5' AS DECIMAL(10,2)) AS INT) AS a, CAST(CAST('-2.5' AS DECIMAL(10,2)) AS BIGINT) AS b,
       CAST(CAST('2.5' AS DECIMAL(10,1)) AS DOUBLE) AS c, CAST(CAST('123.45' AS DECIMAL(10,2)) AS TINYINT) AS d;
SELECT CAST(CAST('12.30' AS DECIMAL(10,2)) AS VARCHAR) AS s, CAST(CAST('12.3' AS DECIMAL(10,1)) AS DECIMAL(12,4)) AS widened,
       CAST(CAST('12.3456' AS DECIMAL(10,4)) AS DECIMAL(10,2)) AS narrowed;

-- Errors: precision bounds, values that do not fit, bad strings
SELECT CAST('1000.00' AS DECIMAL(5,2));
SELECT CAST('999.995' AS DECIMAL(5,2));
SELECT CAST(12345.678 AS DECIMAL(5,2));
SELECT CAST(1e40 AS DECIMAL(38,0));
SELECT CAST('abc' AS DECIMAL(5,2));
SELECT CAST(1 AS DECIMAL(77,0));
SELECT CAST(1 AS DECIMAL(5,6));
SELECT arrow_cast('1', 'Decimal256(77, 0)');
SELECT CAST(CAST('123456.78' AS DECIMAL(10,2)) AS SMALLINT);
SELECT TRY_CAST('abc' AS DECIMAL(5,2)) AS a, TRY_CAST('1000' AS DECIMAL(5,2)) AS b;

-- Arithmetic and its result types
SELECT CAST('0.1' AS DECIMAL(3,1)) + CAST('0.2' AS DECIMAL(3,1)) AS sum_d, 0.1 + 0.2 AS sum_f;
SELECT CAST('1.10' AS DECIMAL(10,2)) / CAST('3' AS DECIMAL(10,2)) AS q, arrow_typeof(CAST('1.10' AS DECIMAL(10,2)) / CAST('3' AS DECIMAL(10,2))) AS t;
SELECT CAST('1.5' AS DECIMAL(5,1)) * CAST('2.25' AS DECIMAL(6,2)) AS m, arrow_typeof(CAST('1.5' AS DECIMAL(5,1)) * CAST('2.25' AS DECIMAL(6,2))) AS t;
SELECT CAST('1.5' AS DECIMAL(5,1)) - CAST('2.25' AS DECIMAL(6,2)) AS d, arrow_typeof(CAST('1.5' AS DECIMAL(5,1)) - CAST('2.25' AS DECIMAL(6,2))) AS t;
SELECT CAST('1.5' AS DECIMAL(5,1)) % CAST('0.4' AS DECIMAL(5,1)) AS r, -CAST('1.5' AS DECIMAL(5,1)) AS neg;
SELECT CAST('1.5' AS DECIMAL(5,1)) + 1 AS plus_int, CAST('1.5' AS DECIMAL(5,1)) + 1.0 AS plus_float,
       arrow_typeof(CAST('1.5' AS DECIMAL(5,1)) + 1) AS t_int, arrow_typeof(CAST('1.5' AS DECIMAL(5,1)) + 1.0) AS t_float;
SELECT CAST('0.000001' AS DECIMAL(10,6)) * CAST('0.000001' AS DECIMAL(10,6)) AS tiny, arrow_typeof(CAST('0.000001' AS DECIMAL(10,6)) * CAST('0.000001' AS DECIMAL(10,6))) AS t;
SELECT arrow_cast(CAST('1.5' AS DECIMAL(10,2)), 'Decimal256(50, 10)') * arrow_cast(CAST('2.5' AS DECIMAL(10,2)), 'Decimal256(50, 10)') AS m;
SELECT arrow_cast(CAST('12345678901234567890123456789012345678' AS DECIMAL(38,0)), 'Decimal256(76, 0)') * 1000 AS beyond128;
SELECT arrow_cast(1, 'Decimal256(40, 2)') + CAST('1.005' AS DECIMAL(10,3)) AS mixed, arrow_typeof(arrow_cast(1, 'Decimal256(40, 2)') + CAST('1.005' AS DECIMAL(10,3))) AS t;
SELECT CAST('99999999999999999999999999999999999999' AS DECIMAL(38,0)) + CAST('1' AS DECIMAL(38,0)) AS past_precision;
SELECT CAST('99999999999999999999999999999999999999' AS DECIMAL(38,0)) * CAST('10' AS DECIMAL(38,0));
SELECT CAST('9999999999999999999' AS DECIMAL(19,0)) * CAST('9999999999999999999' AS DECIMAL(19,0)) * CAST('9999999999999999999' AS DECIMAL(19,0));
SELECT CAST('1' AS DECIMAL(10,2)) / CAST('0' AS DECIMAL(10,2));

-- Rounding functions keep decimal types
SELECT round(CAST('2.345' AS DECIMAL(10,3)), 2) AS r2, round(CAST('-2.5' AS DECIMAL(5,1))) AS r0, round(CAST('2.5' AS DECIMAL(5,1))) AS r0p,
       ceil(CAST('1.2' AS DECIMAL(5,1))) AS c, floor(CAST('-1.2' AS DECIMAL(5,1))) AS f,
       trunc(CAST('1.27' AS DECIMAL(5,2)), 1) AS t, abs(CAST('-3.5' AS DECIMAL(5,1))) AS a;
SELECT arrow_typeof(round(CAST('2.345' AS DECIMAL(10,3)), 2)) AS r, arrow_typeof(ceil(CAST('1.2' AS DECIMAL(5,1)))) AS c,
       arrow_typeof(abs(CAST('-3.5' AS DECIMAL(5,1)))) AS a, arrow_typeof(trunc(CAST('1.27' AS DECIMAL(5,2)), 1)) AS t;
SELECT signum(CAST('-3.5' AS DECIMAL(5,1))) AS s, sqrt(CAST('2.25' AS DECIMAL(5,2))) AS q, power(CAST('1.5' AS DECIMAL(5,1)), 2) AS p;

-- Comparisons across precisions and with other types
SELECT CAST('1.50' AS DECIMAL(5,2)) = CAST('1.5' AS DECIMAL(3,1)) AS eq, CAST('1.50' AS DECIMAL(5,2)) < 2 AS lt_int,
       CAST('1.5' AS DECIMAL(5,2)) = 1.5 AS eq_float, arrow_cast(2, 'Decimal256(40, 3)') > CAST('1.999' AS DECIMAL(4,3)) AS gt256;
SELECT greatest(CAST('1.5' AS DECIMAL(5,1)), CAST('1.55' AS DECIMAL(5,2))) AS g, least(CAST('1.5' AS DECIMAL(5,1)), 2) AS l;
SELECT CASE WHEN true THEN CAST('1.5' AS DECIMAL(5,1)) ELSE CAST('10.25' AS DECIMAL(6,2)) END AS c,
       coalesce(NULL, CAST('1.5' AS DECIMAL(5,1)), CAST('2.125' AS DECIMAL(10,3))) AS co;

-- A table of decimals at several precisions
CREATE TABLE decs AS
SELECT CAST(column1 AS DECIMAL(10,2)) AS d10_2, CAST(column2 AS DECIMAL(38,10)) AS d38_10,
       arrow_cast(CAST(column3 AS DECIMAL(38,4)), 'Decimal256(50, 4)') AS d256, CAST(column4 AS DECIMAL(4,0)) AS d4,
       column5 AS grp
FROM (VALUES
  ('1.10', '0.0000000001', '123456789012345678.1234', '1', 'x'),
  ('2.20', '1234567890.1234567890', '-1.0001', '-9999', 'x'),
  ('-3.35', '-0.5', '0', '9999', 'y'),
  ('99999999.99', '9999999999999999999999999999.9999999999', '99999999999999999999999999999999.9999', '42', 'y'),
  ('0.00', '0', '0.0001', '0', 'z'),
  ('1.10', '0.0000000001', '1.5000', '1', 'z'),
  (NULL, NULL, NULL, NULL, 'z')
) AS v;
SELECT * FROM decs;
SELECT arrow_typeof(d10_2), arrow_typeof(d38_10), arrow_typeof(d256), arrow_typeof(d4) FROM decs LIMIT 1;
SELECT * FROM decs ORDER BY d10_2 NULLS FIRST, d38_10, grp;
SELECT * FROM decs ORDER BY d256 DESC NULLS LAST, grp, d10_2;
SELECT d10_2 + d4 AS a, d10_2 * d4 AS b, d38_10 - d10_2 AS c, d256 + d10_2 AS e FROM decs;
SELECT arrow_typeof(d10_2 + d4) AS a, arrow_typeof(d10_2 * d4) AS b, arrow_typeof(d38_10 - d10_2) AS c, arrow_typeof(d256 + d10_2) AS e FROM decs LIMIT 1;
SELECT d10_2 / d4 AS q FROM decs WHERE d4 <> 0;
SELECT d10_2 / d4 AS q FROM decs;
SELECT d38_10 * d38_10 AS sq FROM decs WHERE grp = 'y';
SELECT d38_10 * d38_10 AS sq FROM decs WHERE grp <> 'y';
SELECT round(d10_2, 1) AS r1, round(d38_10, 3) AS r3, ceil(d10_2) AS c, floor(d256) AS f, abs(d4) AS a FROM decs WHERE d10_2 < 1000 OR d10_2 IS NULL;
SELECT ceil(d10_2) AS c FROM decs;
SELECT CAST(d10_2 AS INT) AS i, CAST(d38_10 AS DOUBLE) AS f, CAST(d256 AS VARCHAR) AS s, CAST(d4 AS SMALLINT) AS s4 FROM decs;
SELECT CAST(d38_10 AS DECIMAL(10,2)) FROM decs WHERE grp = 'x';
SELECT CAST(d10_2 AS DECIMAL(6,2)) FROM decs WHERE grp = 'y';
SELECT TRY_CAST(d10_2 AS DECIMAL(6,2)) AS t FROM decs;
SELECT grp, d10_2 FROM decs WHERE d10_2 > 1 ORDER BY d10_2, grp;
SELECT grp, d10_2 FROM decs WHERE d10_2 = 1.1;
SELECT grp, d10_2 FROM decs WHERE d10_2 IN (CAST('1.1' AS DECIMAL(3,1)), CAST('-3.350' AS DECIMAL(6,3)));
SELECT grp, d38_10 FROM decs WHERE d38_10 BETWEEN -1 AND 1 ORDER BY d38_10, grp;

-- Aggregates and GROUP BY over decimals
SELECT sum(d10_2) AS s, avg(d10_2) AS a, min(d10_2) AS mn, max(d10_2) AS mx, count(d10_2) AS c FROM decs;
SELECT arrow_typeof(sum(d10_2)), arrow_typeof(avg(d10_2)), arrow_typeof(sum(d38_10)), arrow_typeof(avg(d38_10)), arrow_typeof(sum(d256)), arrow_typeof(avg(d256)) FROM decs WHERE grp <> 'y';
SELECT sum(d38_10) AS s, avg(d38_10) AS a FROM decs WHERE grp <> 'y';
SELECT sum(d38_10) AS s FROM decs;
SELECT avg(d38_10) AS a FROM decs;
SELECT sum(d256) AS s, avg(d256) AS a, min(d256) AS mn, max(d256) AS mx FROM decs;
SELECT sum(d4) AS s, avg(d4) AS a, stddev(d10_2) AS sd, var_pop(d4) AS vp FROM decs;
SELECT grp, sum(d10_2) AS s, avg(d10_2) AS a, max(d256) AS mx FROM decs GROUP BY grp ORDER BY grp;
SELECT d10_2, count(*) AS n, sum(d4) AS s FROM decs GROUP BY d10_2;
SELECT d256, count(*) AS n FROM decs GROUP BY d256 ORDER BY d256 NULLS LAST;
SELECT count(DISTINCT d10_2) AS dd, count(DISTINCT d38_10) AS dd38, median(d10_2) AS m FROM decs;
CREATE TABLE dec_keys AS SELECT CAST(column1 AS DECIMAL(5,1)) AS k, column2 AS label FROM (VALUES ('1.1', 'one-ish'), ('0', 'zero'), ('-3.4', 'negative'), ('42', 'answer')) v;
SELECT d.grp, d.d10_2, k.label FROM decs d JOIN dec_keys k ON d.d10_2 = k.k ORDER BY d.grp, k.label;
SELECT d.grp, d.d4, k.label FROM decs d JOIN dec_keys k ON d.d4 = k.k ORDER BY d.grp, d.d4;
SELECT k.label, count(d.grp) AS n FROM dec_keys k LEFT JOIN decs d ON k.k = d.d38_10 GROUP BY k.label;

-- TPC-H money columns
SELECT arrow_typeof(l_extendedprice), arrow_typeof(l_discount), arrow_typeof(l_extendedprice * (1 - l_discount)) FROM lineitem LIMIT 1;
SELECT l_returnflag, l_linestatus, sum(l_quantity) AS qty, sum(l_extendedprice) AS price,
       sum(l_extendedprice * (1 - l_discount)) AS disc_price, sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS charge,
       avg(l_quantity) AS avg_qty, avg(l_discount) AS avg_disc
FROM lineitem GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus;
SELECT l_discount, count(*) AS n, sum(l_extendedprice) AS s FROM lineitem GROUP BY l_discount ORDER BY l_discount;
SELECT min(o_totalprice) AS mn, max(o_totalprice) AS mx, sum(o_totalprice) AS s, avg(o_totalprice) AS a FROM orders;
SELECT round(avg(c_acctbal), 1) AS r, trunc(sum(c_acctbal) / count(*), 2) AS t, c_mktsegment FROM customer GROUP BY c_mktsegment ORDER BY c_mktsegment;
SELECT sum(arrow_cast(l_extendedprice, 'Decimal256(40, 2)')) AS s256, sum(CAST(l_extendedprice AS DECIMAL(38,4))) AS s38 FROM lineitem;
SELECT CAST(o_totalprice AS DECIMAL(6,2)) FROM orders WHERE o_orderkey = 1;
SELECT s.s_suppkey, CAST(s.s_acctbal AS DECIMAL(15,0)) AS k, count(*) AS n FROM supplier s JOIN customer c ON CAST(s.s_acctbal AS DECIMAL(15,0)) = CAST(c.c_acctbal AS DECIMAL(15,0))
GROUP BY s.s_suppkey, CAST(s.s_acctbal AS DECIMAL(15,0)) ORDER BY s.s_suppkey;
SELECT ps_supplycost * ps_availqty AS value, ps_partkey, ps_suppkey FROM partsupp ORDER BY value DESC, ps_partkey, ps_suppkey LIMIT 5;
SELECT p_retailprice, count(*) AS n FROM part GROUP BY p_retailprice HAVING count(*) > 2 ORDER BY n DESC, p_retailprice LIMIT 5;
