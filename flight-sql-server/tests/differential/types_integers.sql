-- Integer types: Int8/16/32/64 and UInt8/16/32/64 made with arrow_cast and CAST.
-- Literals and their bounds, arithmetic (DataFusion wraps on overflow; casts and abs
-- fail), casts between widths, mixed-width type coercion, comparisons, and aggregates,
-- GROUP BY and joins over tables of each width (those run on the executors).

-- Literals and the types they get
SELECT 1 AS a, -1 AS b, 2147483648 AS c, 9223372036854775807 AS d, 18446744073709551615 AS e;
SELECT arrow_typeof(1) AS a, arrow_typeof(2147483648) AS b, arrow_typeof(18446744073709551615) AS c;
SELECT arrow_cast(-128, 'Int8') AS i8, arrow_cast(127, 'Int8') AS i8max,
       arrow_cast(-32768, 'Int16') AS i16, arrow_cast(32767, 'Int16') AS i16max;
SELECT arrow_cast(-2147483648, 'Int32') AS i32, arrow_cast(2147483647, 'Int32') AS i32max,
       CAST(-9223372036854775808 AS BIGINT) AS i64, CAST(9223372036854775807 AS BIGINT) AS i64max;
SELECT arrow_cast(0, 'UInt8') AS u8, arrow_cast(255, 'UInt8') AS u8max,
       arrow_cast(65535, 'UInt16') AS u16max, arrow_cast(4294967295, 'UInt32') AS u32max,
       arrow_cast(18446744073709551615, 'UInt64') AS u64max;
SELECT CAST(1 AS TINYINT) AS a, CAST(1 AS SMALLINT) AS b, CAST(1 AS INT) AS c, CAST(1 AS BIGINT) AS d;
SELECT CAST(1 AS TINYINT UNSIGNED) AS a, CAST(1 AS SMALLINT UNSIGNED) AS b,
       CAST(1 AS INT UNSIGNED) AS c, CAST(1 AS BIGINT UNSIGNED) AS d;
SELECT CAST(7 AS INTEGER) AS a, CAST(7 AS INT2) AS b, CAST(7 AS INT4) AS c, CAST(7 AS INT8) AS d;
SELECT CAST(7 AS INTEGER), CAST(7 AS INT2);

-- Wrapping arithmetic at the bounds
SELECT arrow_cast(127, 'Int8') + arrow_cast(1, 'Int8') AS wrapped;
SELECT arrow_cast(-32768, 'Int16') - arrow_cast(1, 'Int16') AS wrapped;
SELECT arrow_cast(2147483647, 'Int32') + arrow_cast(1, 'Int32') AS wrapped;
SELECT CAST(9223372036854775807 AS BIGINT) + 1 AS wrapped, CAST(9223372036854775807 AS BIGINT) * 2 AS doubled;
SELECT arrow_cast(255, 'UInt8') + arrow_cast(1, 'UInt8') AS wrapped, arrow_cast(0, 'UInt8') - arrow_cast(1, 'UInt8') AS under;
SELECT arrow_cast(18446744073709551615, 'UInt64') + arrow_cast(1, 'UInt64') AS wrapped;

-- Errors: out-of-range casts, abs of the minimum, division by zero, bad strings
SELECT CAST(300 AS TINYINT);
SELECT arrow_cast(-1, 'UInt32');
SELECT CAST(-1 AS BIGINT UNSIGNED);
SELECT arrow_cast(70000, 'Int16');
SELECT abs(arrow_cast(-128, 'Int8'));
SELECT 1 / 0;
SELECT 5 % 0;
SELECT CAST('abc' AS INT);
SELECT CAST('12' AS TINYINT) AS a, CAST(' 12' AS INT) AS b, TRY_CAST('abc' AS INT) AS c, TRY_CAST(300 AS TINYINT) AS d;

-- Division, modulo, bit operations, shifts
SELECT 7 / 2 AS q, -7 / 2 AS nq, 7 % 3 AS r, -7 % 3 AS nr, 7 % -3 AS rn;
SELECT arrow_cast(7, 'UInt8') / arrow_cast(2, 'UInt8') AS q, arrow_typeof(arrow_cast(7, 'UInt8') / arrow_cast(2, 'UInt8')) AS t;
SELECT 12 & 10 AS band, 12 | 10 AS bor, 12 ^ 10 AS bxor, 1 << 4 AS shl, 256 >> 3 AS shr;
SELECT arrow_cast(12, 'UInt16') & arrow_cast(10, 'UInt16') AS band, arrow_cast(-1, 'Int8') >> 1 AS ashr;

-- Mixed widths: the type the result gets
SELECT arrow_typeof(arrow_cast(1, 'Int8') + arrow_cast(1, 'Int16')) AS a,
       arrow_typeof(arrow_cast(1, 'Int8') + arrow_cast(1, 'UInt8')) AS b,
       arrow_typeof(arrow_cast(1, 'UInt32') + arrow_cast(1, 'Int32')) AS c,
       arrow_typeof(arrow_cast(1, 'Int64') + arrow_cast(1, 'UInt64')) AS d;
SELECT arrow_cast(1, 'Int8') + arrow_cast(1, 'UInt64') AS mixed;
SELECT arrow_cast(200, 'UInt8') + arrow_cast(-100, 'Int8') AS mixed;
SELECT arrow_cast(3, 'UInt32') - arrow_cast(5, 'Int32') AS mixed;
SELECT arrow_typeof(arrow_cast(1, 'Int32') * 1.5) AS t, arrow_cast(3, 'Int32') * 1.5 AS v;

-- Casts between widths
SELECT CAST(arrow_cast(-5, 'Int8') AS BIGINT) AS a, CAST(arrow_cast(65535, 'UInt16') AS INT) AS b,
       CAST(arrow_cast(4294967295, 'UInt32') AS BIGINT) AS c, CAST(arrow_cast(100, 'Int64') AS TINYINT UNSIGNED) AS d;
SELECT CAST(arrow_cast(65535, 'UInt16') AS SMALLINT);
SELECT CAST(arrow_cast(-1, 'Int64') AS BIGINT UNSIGNED);
SELECT CAST(3.99 AS INT) AS a, CAST(-3.99 AS INT) AS b, CAST(2.5 AS BIGINT) AS c, CAST(1e10 AS BIGINT) AS d;
SELECT CAST(1e20 AS BIGINT);
SELECT CAST(123 AS VARCHAR) AS s, CAST(arrow_cast(255, 'UInt8') AS VARCHAR) AS u, CAST(true AS INT) AS b;

-- Comparisons across widths and signs
SELECT arrow_cast(-1, 'Int8') < arrow_cast(1, 'UInt64') AS a, arrow_cast(255, 'UInt8') = arrow_cast(255, 'Int16') AS b,
       arrow_cast(1, 'Int32') = 1.0 AS c, arrow_cast(5, 'UInt16') BETWEEN 1 AND 10 AS d;
SELECT greatest(arrow_cast(1, 'Int8'), arrow_cast(300, 'Int16'), arrow_cast(7, 'UInt8')) AS g,
       least(arrow_cast(-1, 'Int32'), arrow_cast(4, 'UInt32')) AS l;

-- A table with one column of each width
CREATE TABLE ints AS
SELECT arrow_cast(column1, 'Int8') AS i8, arrow_cast(column2, 'Int16') AS i16,
       arrow_cast(column3, 'Int32') AS i32, arrow_cast(column4, 'Int64') AS i64,
       arrow_cast(column5, 'UInt8') AS u8, arrow_cast(column6, 'UInt16') AS u16,
       arrow_cast(column7, 'UInt32') AS u32, arrow_cast(column8, 'UInt64') AS u64,
       column9 AS grp
FROM (VALUES
  (-128, -32768, -2147483648, -9223372036854775808, 0, 0, 0, 0, 'a'),
  (127, 32767, 2147483647, 9223372036854775807, 255, 65535, 4294967295, 18446744073709551615, 'a'),
  (0, 0, 0, 0, 1, 1, 1, 1, 'b'),
  (-1, -1, -1, -1, 2, 2, 2, 2, 'b'),
  (5, 500, 50000, 5000000000, 5, 500, 50000, 5000000000, 'c'),
  (5, 500, 50000, 5000000000, 5, 500, 50000, 5000000000, 'c'),
  (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'c'),
  (-7, 7, -7, 7, 7, 7, 7, 7, 'd')
) AS v;
SELECT * FROM ints;
SELECT arrow_typeof(i8), arrow_typeof(i16), arrow_typeof(i32), arrow_typeof(i64),
       arrow_typeof(u8), arrow_typeof(u16), arrow_typeof(u32), arrow_typeof(u64) FROM ints LIMIT 1;
SELECT * FROM ints ORDER BY i64 NULLS FIRST, grp;
SELECT * FROM ints ORDER BY u64 DESC NULLS LAST, i8;
SELECT i8 + 1 AS a, i16 * 2 AS b, i32 - 1 AS c, u8 + u8 AS d FROM ints WHERE grp IN ('b', 'c', 'd');
SELECT i8 + i8 AS wrapped8, u8 + u8 AS wrapped_u8, i32 + i32 AS wrapped32, i64 + i64 AS wrapped64 FROM ints WHERE grp = 'a';
SELECT u8 - 1 AS under FROM ints WHERE grp = 'a';
SELECT i8 + u8 AS s, arrow_typeof(i8 + u8) AS t, i64 + u64 AS big, arrow_typeof(i64 + u64) AS bt FROM ints;
SELECT i32 / i8 AS q, i32 % i8 AS r FROM ints WHERE i8 <> 0;
SELECT i32 / i8 FROM ints;
SELECT abs(i8) FROM ints;
SELECT abs(i16) AS a, abs(i32 + 1) AS b, -i16 AS neg FROM ints WHERE grp <> 'a';
SELECT CAST(i64 AS INT) FROM ints WHERE grp = 'a' AND i64 > 0;
SELECT CAST(i64 AS INT) AS narrowed FROM ints WHERE grp <> 'a';
SELECT CAST(u64 AS BIGINT) FROM ints;
SELECT TRY_CAST(u64 AS BIGINT) AS t, TRY_CAST(i16 AS TINYINT) AS s FROM ints;
SELECT CAST(i8 AS TINYINT UNSIGNED) FROM ints WHERE i8 = -7 OR i8 >= 0;
SELECT CAST(u32 AS DOUBLE) AS d, CAST(u64 AS DOUBLE) AS e, CAST(i64 AS VARCHAR) AS s FROM ints;

-- Filters and comparisons over columns of different widths
SELECT grp, i8 FROM ints WHERE i8 < u8 ORDER BY grp, i8;
SELECT grp, i64 FROM ints WHERE i64 = u64;
SELECT grp FROM ints WHERE u64 > 9223372036854775807;
SELECT grp, i32 FROM ints WHERE i32 BETWEEN -10 AND 10 ORDER BY i32, grp;
SELECT grp, i16 FROM ints WHERE i16 IN (-1, 7, 500, 70000) ORDER BY i16, grp;
SELECT count(*) AS n FROM ints WHERE u16 >= arrow_cast(500, 'UInt16');

-- Aggregates over every width
SELECT sum(i8) AS s8, sum(i16) AS s16, sum(i32) AS s32, sum(u8) AS su8, sum(u16) AS su16, sum(u32) AS su32 FROM ints;
SELECT arrow_typeof(sum(i8)), arrow_typeof(sum(u8)), arrow_typeof(sum(i32)), arrow_typeof(sum(u32)) FROM ints;
SELECT sum(i64) AS s, sum(u64) AS su FROM ints WHERE grp <> 'a';
SELECT sum(i64) AS wrapped FROM ints WHERE grp IN ('a', 'c');
SELECT min(i8), max(i8), min(u64), max(u64), min(i64), max(i64) FROM ints;
SELECT avg(i8) AS a8, avg(i32) AS a32, avg(u16) AS au16, avg(i64) AS a64 FROM ints WHERE grp <> 'a';
SELECT count(i8) AS c, count(DISTINCT i8) AS cd, count(*) AS n, count(DISTINCT u64) AS cdu FROM ints;
SELECT bit_and(u16) AS ba, bit_or(u16) AS bo, bit_xor(i32) AS bx FROM ints WHERE grp IN ('b', 'c', 'd');
SELECT median(i32) AS m, approx_distinct(i16) AS d FROM ints;
SELECT grp, sum(i32) AS s, count(u8) AS c, min(u64) AS mn, max(i16) AS mx FROM ints GROUP BY grp ORDER BY grp;
SELECT grp, array_agg(i8 ORDER BY i8 NULLS LAST) AS vals FROM ints GROUP BY grp ORDER BY grp;

-- GROUP BY integer keys of every width
SELECT i8, count(*) AS n FROM ints GROUP BY i8;
SELECT u8, count(*) AS n FROM ints GROUP BY u8 ORDER BY u8 NULLS FIRST;
SELECT u64, i64, count(*) AS n FROM ints GROUP BY u64, i64;
SELECT u32 % 2 AS parity, count(*) AS n, sum(u32) AS s FROM ints GROUP BY u32 % 2 ORDER BY parity NULLS LAST;
SELECT i16, u16, sum(i8) AS s FROM ints GROUP BY i16, u16 HAVING count(*) > 1;

-- A second table, made with CREATE TABLE and INSERT, to join on mixed widths
CREATE TABLE int_names (k SMALLINT UNSIGNED, name VARCHAR);
INSERT INTO int_names VALUES (0, 'zero'), (1, 'one'), (2, 'two'), (5, 'five'), (7, 'seven'), (255, 'max8'), (NULL, 'null');
SELECT arrow_typeof(k) FROM int_names LIMIT 1;
SELECT i.grp, i.u8, n.name FROM ints i JOIN int_names n ON i.u8 = n.k ORDER BY i.grp, i.u8, n.name;
SELECT i.grp, i.i8, n.name FROM ints i JOIN int_names n ON i.i8 = n.k ORDER BY i.grp, i.i8, n.name;
SELECT i.grp, i.u64, n.name FROM ints i LEFT JOIN int_names n ON i.u64 = n.k;
SELECT n.name, count(i.grp) AS n FROM int_names n LEFT JOIN ints i ON n.k = i.u32 GROUP BY n.name;
SELECT n.name FROM int_names n WHERE n.k NOT IN (SELECT u16 FROM ints WHERE u16 IS NOT NULL);
SELECT n.name FROM int_names n WHERE EXISTS (SELECT 1 FROM ints i WHERE i.i64 = n.k);

-- Integer columns of the TPC-H tables, narrowed and widened
SELECT arrow_typeof(l_linenumber), arrow_typeof(l_orderkey), arrow_typeof(o_shippriority)
FROM lineitem JOIN orders ON l_orderkey = o_orderkey LIMIT 1;
SELECT CAST(l_linenumber AS TINYINT) AS ln, count(*) AS n FROM lineitem GROUP BY 1 ORDER BY 1;
SELECT arrow_cast(l_linenumber, 'UInt8') AS ln, sum(arrow_cast(l_orderkey, 'UInt32')) AS s
FROM lineitem GROUP BY 1 ORDER BY 1;
SELECT sum(CAST(l_partkey AS SMALLINT)) AS s, max(arrow_cast(l_suppkey, 'UInt16')) AS m,
       min(arrow_cast(l_orderkey, 'Int32')) AS mn FROM lineitem;
SELECT CAST(l_orderkey + 127 AS TINYINT) FROM lineitem WHERE l_orderkey = 1;
SELECT sum(CAST(l_orderkey AS TINYINT)) FROM lineitem WHERE l_orderkey <= 128;
SELECT sum(CAST(l_orderkey AS TINYINT)) AS s, count(*) AS n FROM lineitem WHERE l_orderkey < 128;
SELECT sum(arrow_cast(l_linenumber, 'Int8') * arrow_cast(100, 'Int8')) AS wrapped_products FROM lineitem;
SELECT l_linenumber % 3 AS m, count(*) AS n, sum(l_orderkey) AS s FROM lineitem GROUP BY 1 ORDER BY 1;
SELECT n.n_nationkey, count(*) AS suppliers
FROM (SELECT arrow_cast(n_nationkey, 'UInt8') AS n_nationkey FROM nation) n
JOIN (SELECT arrow_cast(s_nationkey, 'Int16') AS s_nationkey FROM supplier) s ON n.n_nationkey = s.s_nationkey
GROUP BY n.n_nationkey ORDER BY n.n_nationkey;
SELECT c.k, count(*) AS orders_n
FROM (SELECT arrow_cast(c_custkey, 'UInt32') AS k FROM customer WHERE c_custkey < 20) c
JOIN (SELECT arrow_cast(o_custkey, 'Int64') AS k FROM orders) o ON c.k = o.k
GROUP BY c.k ORDER BY c.k;
SELECT ps_availqty / 1000 AS bucket, count(*) AS n, min(ps_availqty) AS lo, max(ps_availqty) AS hi
FROM partsupp GROUP BY 1 ORDER BY 1;
SELECT arrow_cast(p_size, 'UInt8') AS size, count(*) AS n FROM part WHERE p_size > 45 GROUP BY 1 ORDER BY 1;
SELECT count(DISTINCT arrow_cast(o_custkey, 'UInt16')) AS customers, sum(arrow_cast(o_shippriority, 'UInt64')) AS sp FROM orders;
