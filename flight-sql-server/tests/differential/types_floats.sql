-- Floating-point types: Float16 (arrow_cast), Float32 (REAL/FLOAT), Float64 (DOUBLE).
-- Special values NaN, +inf, -inf and -0.0: how they compare (NaN is the largest value and
-- equal to itself in DataFusion), sort, group, join and aggregate; float arithmetic and
-- its result types; casts and their errors; statistical aggregates over created tables and
-- over TPC-H columns cast to floats.

-- Literals, special values and types
SELECT 1.5 AS a, arrow_typeof(1.5) AS t, 1e300 AS big, 1e-300 AS small, -2.5e-3 AS neg;
SELECT CAST('NaN' AS DOUBLE) AS n, CAST('inf' AS DOUBLE) AS i, CAST('-inf' AS DOUBLE) AS ni, CAST('-0.0' AS DOUBLE) AS nz, CAST('Infinity' AS DOUBLE) AS i2;
SELECT CAST(1 AS FLOAT) AS f, arrow_typeof(CAST(1 AS FLOAT)) AS t, arrow_typeof(CAST(1 AS REAL)) AS r, arrow_typeof(CAST(1 AS DOUBLE)) AS d;
SELECT arrow_cast(1.5, 'Float16') AS h, arrow_typeof(arrow_cast(1.5, 'Float16')) AS t, arrow_cast(1, 'Float16') / arrow_cast(3, 'Float16') AS third;
SELECT arrow_cast('NaN', 'Float16') AS hnan, arrow_cast(-0.0, 'Float16') AS hz, arrow_cast(70000, 'Float16') AS hinf, arrow_cast(65504, 'Float16') AS hmax;
SELECT arrow_cast('NaN', 'Float32') AS fnan, arrow_cast('-inf', 'Float32') AS fninf, CAST(3.4e38 AS FLOAT) * 10 AS fover, CAST(1e39 AS FLOAT) AS fcast;
SELECT -0.0 AS nz, 0.0 * -1 AS nz2, ceil(-0.5) AS nz3, arrow_typeof(-0.0) AS t;
SELECT 1.0 / 0.0 AS pos_inf, -1.0 / 0.0 AS neg_inf, 0.0 / 0.0 AS nan, 1.0 / 0 AS int_zero, 1e308 * 10 AS overflow;
SELECT CAST(0.1 AS FLOAT) AS f, CAST(0.1 AS FLOAT) = 0.1 AS eq, CAST(CAST(0.1 AS FLOAT) AS DOUBLE) AS widened;

-- Comparisons with special values
SELECT CAST('NaN' AS DOUBLE) = CAST('NaN' AS DOUBLE) AS nan_eq, CAST('NaN' AS DOUBLE) > 1 AS nan_gt,
       CAST('NaN' AS DOUBLE) < 1 AS nan_lt, CAST('NaN' AS DOUBLE) > CAST('inf' AS DOUBLE) AS nan_gt_inf, 0.0 = -0.0 AS zero_eq;
SELECT CAST('inf' AS DOUBLE) = CAST('inf' AS DOUBLE) AS inf_eq, CAST('-inf' AS DOUBLE) < -1e308 AS ninf_lt,
       CAST('NaN' AS DOUBLE) <> CAST('NaN' AS DOUBLE) AS nan_ne, -0.0 < 0.0 AS nz_lt;
SELECT greatest(1.0, CAST('NaN' AS DOUBLE), 2.0) AS g, least(1.0, CAST('-inf' AS DOUBLE)) AS l, greatest(-0.0, 0.0) AS gz;
SELECT CAST('NaN' AS DOUBLE) IN (1.0, CAST('NaN' AS DOUBLE)) AS nan_in, CAST('NaN' AS DOUBLE) BETWEEN 0 AND CAST('inf' AS DOUBLE) AS nan_between;
SELECT isnan(CAST('NaN' AS DOUBLE)) AS a, isnan(1.0) AS b, iszero(-0.0) AS c, nanvl(CAST('NaN' AS DOUBLE), 5.0) AS d, nanvl(3.0, 5.0) AS e;

-- Arithmetic and result types across float widths
SELECT arrow_cast(1.5, 'Float16') + arrow_cast(1.5, 'Float16') AS h, arrow_typeof(arrow_cast(1.5, 'Float16') + 1) AS t16,
       arrow_typeof(arrow_cast(1.5, 'Float16') + arrow_cast(1, 'Float32')) AS t32;
SELECT arrow_cast(1.5, 'Float32') + arrow_cast(1, 'Int64') AS x, arrow_typeof(arrow_cast(1.5, 'Float32') + arrow_cast(1, 'Int64')) AS t;
SELECT arrow_cast(1.5, 'Float32') + CAST('1.5' AS DECIMAL(5,1)) AS x, arrow_typeof(arrow_cast(1.5, 'Float32') + CAST('1.5' AS DECIMAL(5,1))) AS t;
SELECT arrow_cast(1.5, 'Float32') * 2.0 AS x, arrow_typeof(arrow_cast(1.5, 'Float32') * 2.0) AS t;
SELECT 7.5 % 2 AS m, -7.5 % 2 AS nm, CAST('inf' AS DOUBLE) - CAST('inf' AS DOUBLE) AS inf_minus_inf, CAST('NaN' AS DOUBLE) + 1 AS nan_plus;
SELECT round(2.5) AS r1, round(-2.5) AS r2, round(0.5) AS r3, trunc(-2.7) AS t, round(1.2345, 2) AS r4, floor(-0.5) AS f, ceil(1e-300) AS c;
SELECT sqrt(2.0) AS s, exp(1.0) AS e, ln(10.0) AS l, power(2.0, 0.5) AS p, cbrt(27.0) AS cb, pi() AS pi;
SELECT ln(0.0) AS ln0, log10(-1.0) AS lgneg, exp(1000.0) AS big, acos(2.0) AS bad_acos, atan2(-0.0, -1.0) AS at;
SELECT sqrt(-1.0);
SELECT power(0.0, -1);
SELECT abs(CAST('-inf' AS DOUBLE)) AS a, signum(-0.0) AS s, signum(CAST('NaN' AS DOUBLE)) AS sn, abs(arrow_cast(-2.5, 'Float16')) AS h;

-- Casts from and to floats
SELECT CAST(3.99 AS INT) AS i, CAST(-3.99 AS BIGINT) AS b, CAST(2.5 AS TINYINT) AS t, CAST(1e18 AS BIGINT) AS big;
SELECT CAST(CAST('NaN' AS DOUBLE) AS INT);
SELECT CAST(CAST('inf' AS DOUBLE) AS BIGINT);
SELECT CAST(1e20 AS BIGINT);
SELECT TRY_CAST(CAST('NaN' AS DOUBLE) AS INT) AS n, TRY_CAST(1e20 AS BIGINT) AS b;
SELECT CAST('1.5' AS DOUBLE) AS a, CAST(' 1.5 ' AS DOUBLE) AS b, CAST('1e3' AS REAL) AS c, CAST('-inf' AS FLOAT) AS d;
SELECT CAST('x1.5' AS DOUBLE);
SELECT CAST(1.0 AS VARCHAR) AS a, CAST(1e20 AS VARCHAR) AS b, CAST(1e-7 AS VARCHAR) AS c, CAST(CAST('NaN' AS DOUBLE) AS VARCHAR) AS d,
       CAST(-0.0 AS VARCHAR) AS e, CAST(CAST(0.1 AS REAL) AS VARCHAR) AS f, CAST(arrow_cast(0.1, 'Float16') AS VARCHAR) AS g;
SELECT CAST(1.5 AS DECIMAL(5,2)) AS d, CAST(CAST('inf' AS DOUBLE) AS DECIMAL(10,2)) AS inf_dec;
SELECT CAST(CAST('NaN' AS DOUBLE) AS DECIMAL(10,2));

-- A table with special values in every float width
CREATE TABLE floats AS
SELECT column1 AS id, CAST(column2 AS DOUBLE) AS f64, arrow_cast(CAST(column2 AS DOUBLE), 'Float32') AS f32,
       arrow_cast(CAST(column2 AS DOUBLE), 'Float16') AS f16, column3 AS grp
FROM (VALUES
  (1, '1.5', 'a'), (2, 'NaN', 'a'), (3, 'inf', 'b'), (4, '-inf', 'b'), (5, '-0.0', 'c'),
  (6, '0.0', 'c'), (7, '-2.25', 'a'), (8, NULL, 'd'), (9, 'NaN', 'd'), (10, '1e10', 'b'), (11, '1.5', 'c')
) AS v;
SELECT * FROM floats;
SELECT arrow_typeof(f64), arrow_typeof(f32), arrow_typeof(f16) FROM floats LIMIT 1;
SELECT id, f64 FROM floats ORDER BY f64, id;
SELECT id, f64 FROM floats ORDER BY f64 DESC, id;
SELECT id, f32 FROM floats ORDER BY f32 NULLS FIRST, id;
SELECT id, f16 FROM floats ORDER BY f16 DESC NULLS LAST, id;
SELECT id, f64 FROM floats WHERE f64 > 1 ORDER BY id;
SELECT id, f64 FROM floats WHERE f64 = CAST('NaN' AS DOUBLE) ORDER BY id;
SELECT id, f64 FROM floats WHERE f64 = 0.0 ORDER BY id;
SELECT id FROM floats WHERE f64 < CAST('inf' AS DOUBLE) ORDER BY id;
SELECT id FROM floats WHERE isnan(f64) OR f64 IS NULL ORDER BY id;
SELECT id, f64 + 1 AS plus, f64 * 0 AS times_zero, -f64 AS neg, f64 / 0 AS div_zero FROM floats;
SELECT id, f32 + f16 AS s, arrow_typeof(f32 + f16) AS t, f64 - f32 AS d FROM floats;
SELECT id, round(f64) AS r, CAST(f64 AS VARCHAR) AS s, isnan(f32) AS n FROM floats;
SELECT id, CAST(f64 AS BIGINT) AS b FROM floats WHERE id IN (1, 5, 6, 7, 10);
SELECT CAST(f64 AS BIGINT) FROM floats WHERE id IN (1, 3);
SELECT id, TRY_CAST(f64 AS INT) AS i FROM floats;

-- Aggregates: NaN and infinities propagate, NULLs are skipped
SELECT min(f64) AS mn, max(f64) AS mx, sum(f64) AS s, avg(f64) AS a, count(f64) AS c FROM floats;
SELECT min(f64) AS mn, max(f64) AS mx, sum(f64) AS s, avg(f64) AS a FROM floats WHERE NOT isnan(f64);
SELECT sum(f64) AS s, avg(f64) AS a FROM floats WHERE NOT isnan(f64) AND abs(f64) <> CAST('inf' AS DOUBLE);
SELECT min(f32) AS mn, max(f32) AS mx, sum(f32) AS s, min(f16) AS mn16, max(f16) AS mx16, sum(f16) AS s16, avg(f16) AS a16 FROM floats;
SELECT arrow_typeof(sum(f32)), arrow_typeof(avg(f32)), arrow_typeof(sum(f16)), arrow_typeof(min(f16)) FROM floats;
SELECT min(f64) AS mn, max(f64) AS mx FROM floats WHERE id IN (5, 6);
SELECT stddev(f64) AS sd, var_pop(f64) AS vp, median(f64) AS m FROM floats WHERE id IN (1, 5, 6, 7, 10, 11);
SELECT count(DISTINCT f64) AS d64, count(DISTINCT f32) AS d32, count(DISTINCT f16) AS d16 FROM floats;
-- (Grouped min/max are left out for groups holding NaN: DataFusion's grouped accumulator
-- answers by row order there (and between 0.0 and -0.0), so no order-independent answer exists.
SELECT grp, sum(f64) AS s, min(f64) AS mn, max(f64) AS mx, count(*) AS n FROM floats WHERE NOT isnan(f64) AND id <> 6 GROUP BY grp ORDER BY grp;
SELECT grp, sum(f64) AS s, count(f64) AS c, bool_or(isnan(f64)) AS has_nan FROM floats GROUP BY grp ORDER BY grp;
SELECT grp, array_agg(f64 ORDER BY f64, id) AS vals FROM floats GROUP BY grp ORDER BY grp;

-- GROUP BY, DISTINCT and joins on floats: NaNs group together, and so do 0.0 and -0.0
SELECT f64, count(*) AS n FROM floats GROUP BY f64;
SELECT f32, count(*) AS n FROM floats GROUP BY f32 ORDER BY f32 NULLS LAST;
SELECT f16, count(*) AS n FROM floats GROUP BY f16;
SELECT DISTINCT f64 FROM floats;
SELECT DISTINCT f64 FROM floats WHERE id = 5;
SELECT f64 FROM floats WHERE id IN (2, 9) UNION SELECT CAST('NaN' AS DOUBLE);
SELECT a.id AS a_id, b.id AS b_id FROM floats a JOIN floats b ON a.f64 = b.f64 AND a.id < b.id ORDER BY a_id, b_id;
SELECT a.id AS a_id, b.id AS b_id FROM floats a JOIN floats b ON a.f16 = b.f32 WHERE a.id <> b.id ORDER BY a_id, b_id;
SELECT a.id, count(b.id) AS n FROM floats a LEFT JOIN floats b ON a.f64 < b.f64 GROUP BY a.id ORDER BY a.id;

-- Float columns derived from TPC-H
SELECT avg(CAST(l_quantity AS DOUBLE)) AS a, stddev(CAST(l_quantity AS DOUBLE)) AS sd, sum(CAST(l_extendedprice AS DOUBLE)) AS s,
       var_samp(CAST(l_discount AS REAL)) AS v FROM lineitem;
SELECT l_returnflag, sum(CAST(l_extendedprice AS DOUBLE) * (1 - CAST(l_discount AS DOUBLE))) AS revenue, avg(CAST(l_tax AS FLOAT)) AS tax
FROM lineitem GROUP BY l_returnflag ORDER BY l_returnflag;
SELECT corr(CAST(l_quantity AS DOUBLE), CAST(l_extendedprice AS DOUBLE)) AS c, covar_samp(CAST(l_quantity AS DOUBLE), CAST(l_discount AS DOUBLE)) AS cv,
       regr_slope(CAST(l_extendedprice AS DOUBLE), CAST(l_quantity AS DOUBLE)) AS slope FROM lineitem;
SELECT CAST(l_discount AS DOUBLE) AS disc, count(*) AS n FROM lineitem GROUP BY 1 ORDER BY 1;
SELECT arrow_cast(l_discount, 'Float32') AS disc, count(*) AS n FROM lineitem WHERE l_discount > 0.05 GROUP BY 1 ORDER BY 1;
SELECT round(CAST(o_totalprice AS DOUBLE) / 1000) AS k, count(*) AS n FROM orders GROUP BY 1 ORDER BY n DESC, k LIMIT 5;
SELECT c_nationkey, max(CAST(c_acctbal AS DOUBLE)) AS mx, min(CAST(c_acctbal AS REAL)) AS mn FROM customer GROUP BY c_nationkey ORDER BY c_nationkey;
SELECT n.n_name, CAST(s.s_acctbal AS DOUBLE) / 0 AS inf_or_nan FROM nation n JOIN supplier s ON n.n_nationkey = s.s_nationkey
WHERE s.s_suppkey IN (1, 2, 3) ORDER BY s.s_suppkey;
SELECT approx_percentile_cont(CAST(l_extendedprice AS DOUBLE), 0.0) AS p0, approx_percentile_cont(CAST(l_extendedprice AS DOUBLE), 1.0) AS p100 FROM lineitem;
