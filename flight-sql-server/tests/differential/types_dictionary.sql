-- Dictionary-encoded columns: arrow_cast(x, 'Dictionary(K, V)') with Int8/Int16/Int32/
-- Int64 and unsigned keys over Utf8, LargeUtf8 and non-string values, tables made from
-- them with CREATE TABLE AS (from VALUES and from TPC-H), and SELECT *, filters, GROUP BY,
-- ORDER BY, DISTINCT, joins and aggregates on dictionary columns. Trebuchet sends
-- dictionaries as their values (documented in result_schema.rs), so compared queries
-- return values through a cast and check the encoding with arrow_typeof; the statements
-- that return a dictionary column as such are marked `differs`.

-- Dictionary values and the types they keep
SELECT arrow_typeof(arrow_cast('a', 'Dictionary(Int32, Utf8)')) AS i32, arrow_typeof(arrow_cast('a', 'Dictionary(Int8, Utf8)')) AS i8,
       arrow_typeof(arrow_cast('a', 'Dictionary(UInt16, LargeUtf8)')) AS u16, arrow_typeof(arrow_cast(5, 'Dictionary(Int64, Int32)')) AS i64;
SELECT CAST(arrow_cast('a', 'Dictionary(Int32, Utf8)') AS VARCHAR) AS a, arrow_cast(arrow_cast('b', 'Dictionary(UInt8, LargeUtf8)'), 'LargeUtf8') AS b,
       arrow_cast(arrow_cast(300, 'Dictionary(Int8, Int32)'), 'Int32') AS c;
SELECT arrow_typeof(arrow_cast(arrow_cast('a', 'Dictionary(Int32, Utf8)'), 'Dictionary(Int8, LargeUtf8)')) AS recoded,
       arrow_typeof(arrow_cast(CAST('1.5' AS DECIMAL(5,2)), 'Dictionary(Int32, Decimal128(5, 2))')) AS dec,
       arrow_typeof(arrow_cast(DATE '2024-01-01', 'Dictionary(UInt32, Date32)')) AS date;
SELECT arrow_cast(1.5, 'Dictionary(Int32, Float64)') + 1 AS plus, arrow_cast('a', 'Dictionary(Int32, Utf8)') = 'a' AS eq,
       arrow_cast('a', 'Dictionary(Int32, Utf8)') < arrow_cast('b', 'Dictionary(Int8, Utf8)') AS lt;
SELECT arrow_cast('a', 'Dictionary(Int32, Utf8)') AS d, arrow_cast(5, 'Dictionary(Int64, Int32)') AS n;
SELECT arrow_cast('a', 'Dictionary(Float32, Utf8)');

-- A table of dictionary columns with every key width
CREATE TABLE dict AS
SELECT column1 AS id,
       arrow_cast(column2, 'Dictionary(Int32, Utf8)') AS d32,
       arrow_cast(column2, 'Dictionary(Int8, Utf8)') AS d8,
       arrow_cast(column2, 'Dictionary(UInt16, LargeUtf8)') AS du16,
       arrow_cast(column3, 'Dictionary(Int64, Int64)') AS dnum,
       arrow_cast(column4, 'Dictionary(UInt8, Utf8)') AS dcolour,
       column2 AS plain
FROM (VALUES
  (1, 'apple', 10, 'red'),
  (2, 'banana', 20, 'yellow'),
  (3, 'apple', 10, 'green'),
  (4, NULL, NULL, 'red'),
  (5, 'cherry', 30, NULL),
  (6, 'banana', 20, 'yellow'),
  (7, '', 0, 'red'),
  (8, 'apple', 40, 'red')
) AS v;
SELECT arrow_typeof(d32), arrow_typeof(d8), arrow_typeof(du16), arrow_typeof(dnum), arrow_typeof(dcolour), arrow_typeof(plain) FROM dict LIMIT 1;
SELECT * FROM dict;
SELECT id, CAST(d32 AS VARCHAR) AS d32, CAST(d8 AS VARCHAR) AS d8, arrow_cast(du16, 'LargeUtf8') AS du16, arrow_cast(dnum, 'Int64') AS dnum,
       CAST(dcolour AS VARCHAR) AS dcolour, plain FROM dict;
SELECT id, CAST(d32 AS VARCHAR) AS fruit FROM dict ORDER BY d32 NULLS FIRST, id;
SELECT id, CAST(d8 AS VARCHAR) AS fruit FROM dict ORDER BY d8 DESC NULLS LAST, id;
SELECT id, arrow_cast(dnum, 'Int64') AS n FROM dict ORDER BY dnum, id;
SELECT id, CAST(dcolour AS VARCHAR) AS colour FROM dict ORDER BY dcolour, d32, id;

-- Filters on dictionary columns
SELECT id FROM dict WHERE d32 = 'apple' ORDER BY id;
SELECT id FROM dict WHERE d8 <> 'apple' ORDER BY id;
SELECT id FROM dict WHERE du16 IN ('banana', 'cherry') ORDER BY id;
SELECT id FROM dict WHERE d32 LIKE '%an%' ORDER BY id;
SELECT id FROM dict WHERE d32 IS NULL OR dcolour IS NULL ORDER BY id;
SELECT id FROM dict WHERE d32 > 'b' ORDER BY id;
SELECT id FROM dict WHERE dnum >= 20 ORDER BY id;
SELECT id FROM dict WHERE d32 = plain ORDER BY id;
SELECT id FROM dict WHERE d8 = du16 ORDER BY id;
SELECT id FROM dict WHERE d32 = '' ORDER BY id;

-- Expressions over dictionary columns, and the types they produce
SELECT id, d32 || '!' AS bang, arrow_typeof(d32 || '!') AS t, upper(CAST(d8 AS VARCHAR)) AS u, CAST(length(d32) AS INT) AS len, arrow_typeof(length(d32)) AS len_type FROM dict;
SELECT id, CAST(upper(d32) AS VARCHAR) AS u, arrow_typeof(upper(d32)) AS t FROM dict;
SELECT id, CAST(coalesce(d32, 'none') AS VARCHAR) AS c, arrow_typeof(coalesce(d32, 'none')) AS t FROM dict;
SELECT id, CAST(CASE WHEN dnum > 15 THEN d32 ELSE 'small' END AS VARCHAR) AS c, arrow_typeof(CASE WHEN dnum > 15 THEN d32 ELSE 'small' END) AS t FROM dict;
SELECT id, dnum + 1 AS plus, arrow_typeof(dnum + 1) AS t, dnum * id AS times FROM dict;
SELECT id, substr(d32, 1, 3) AS prefix, concat(d8, '-', dcolour) AS c, d32 = dcolour AS same FROM dict;

-- Aggregates and GROUP BY on dictionary columns
SELECT min(d32) AS mn, max(d32) AS mx, arrow_typeof(min(d32)) AS t, count(d32) AS c, count(DISTINCT d32) AS cd, count(DISTINCT d8) AS cd8 FROM dict;
SELECT min(dnum) AS mn, max(dnum) AS mx, sum(dnum) AS s, avg(dnum) AS a, arrow_typeof(sum(dnum)) AS t FROM dict;
SELECT CAST(d32 AS VARCHAR) AS fruit, count(*) AS n, sum(id) AS ids FROM dict GROUP BY d32;
SELECT CAST(d8 AS VARCHAR) AS fruit, count(*) AS n FROM dict GROUP BY d8 ORDER BY d8 NULLS LAST;
SELECT arrow_cast(du16, 'LargeUtf8') AS fruit, CAST(dcolour AS VARCHAR) AS colour, count(*) AS n FROM dict GROUP BY du16, dcolour;
SELECT arrow_cast(dnum, 'Int64') AS n, count(*) AS c FROM dict GROUP BY dnum ORDER BY dnum NULLS FIRST;
SELECT arrow_typeof(d32) AS t, count(*) AS n FROM (SELECT d32 FROM dict GROUP BY d32) g GROUP BY 1;
SELECT CAST(dcolour AS VARCHAR) AS colour, string_agg(CAST(d32 AS VARCHAR), ',' ORDER BY id) AS fruits FROM dict GROUP BY dcolour ORDER BY colour NULLS LAST;
SELECT CAST(dcolour AS VARCHAR) AS colour, count(DISTINCT d32) AS kinds, max(dnum) AS top FROM dict GROUP BY dcolour HAVING count(*) > 1;
SELECT plain, count(*) AS n FROM dict GROUP BY plain, d32;
SELECT array_agg(CAST(d32 AS VARCHAR) ORDER BY id) AS all_fruit, arrow_typeof(array_agg(d32)) AS t FROM dict;
SELECT d32, count(*) AS n FROM dict GROUP BY d32;

-- DISTINCT, UNION and set operations
SELECT DISTINCT CAST(d32 AS VARCHAR) AS fruit FROM dict;
SELECT arrow_typeof(d32) AS t FROM (SELECT DISTINCT d32 FROM dict) d LIMIT 1;
SELECT count(*) AS n FROM (SELECT DISTINCT d8, dcolour FROM dict) d;
SELECT CAST(f AS VARCHAR) AS f, arrow_typeof(f) AS t FROM (SELECT d32 AS f FROM dict WHERE id < 3 UNION ALL SELECT 'kiwi') u;
SELECT CAST(f AS VARCHAR) AS f FROM (SELECT d32 AS f FROM dict UNION SELECT d8 FROM dict) u;
SELECT CAST(f AS VARCHAR) AS f FROM (SELECT d32 AS f FROM dict INTERSECT SELECT 'apple') u;
SELECT CAST(f AS VARCHAR) AS f FROM (SELECT d32 AS f FROM dict EXCEPT SELECT plain FROM dict WHERE id > 4) u;

-- Joins on dictionary columns, to dictionaries and to plain strings
CREATE TABLE prices AS
SELECT arrow_cast(column1, 'Dictionary(Int16, Utf8)') AS fruit, column2 AS price FROM (VALUES ('apple', 1.5), ('banana', 0.25), ('durian', 9.0), ('', 0.0)) AS v;
SELECT d.id, p.price FROM dict d JOIN prices p ON d.d32 = p.fruit ORDER BY d.id;
SELECT d.id, p.price FROM dict d JOIN prices p ON d.d8 = p.fruit ORDER BY d.id;
SELECT d.id, p.price FROM dict d JOIN prices p ON d.plain = p.fruit ORDER BY d.id;
SELECT CAST(p.fruit AS VARCHAR) AS fruit, count(d.id) AS n FROM prices p LEFT JOIN dict d ON d.du16 = p.fruit GROUP BY p.fruit;
SELECT d.id, CAST(p.fruit AS VARCHAR) AS fruit FROM dict d FULL JOIN prices p ON d.d32 = p.fruit;
SELECT a.id AS a_id, b.id AS b_id FROM dict a JOIN dict b ON a.d32 = b.d8 AND a.id < b.id ORDER BY a_id, b_id;
SELECT d.id FROM dict d WHERE d.d32 IN (SELECT fruit FROM prices) ORDER BY d.id;
SELECT d.id FROM dict d WHERE NOT EXISTS (SELECT 1 FROM prices p WHERE p.fruit = d.d32) ORDER BY d.id;

-- Dictionaries over TPC-H, made with CREATE TABLE AS
CREATE TABLE dict_lineitem AS
SELECT l_orderkey, l_linenumber, arrow_cast(l_shipmode, 'Dictionary(Int8, Utf8)') AS mode, arrow_cast(l_returnflag, 'Dictionary(UInt16, Utf8)') AS flag,
       arrow_cast(l_shipinstruct, 'Dictionary(Int32, LargeUtf8)') AS instruct, arrow_cast(l_linestatus, 'Dictionary(Int64, Utf8)') AS status, l_quantity
FROM lineitem;
SELECT arrow_typeof(mode), arrow_typeof(flag), arrow_typeof(instruct), arrow_typeof(status), count(*) AS n FROM dict_lineitem GROUP BY 1, 2, 3, 4;
SELECT CAST(mode AS VARCHAR) AS mode, count(*) AS n, sum(l_quantity) AS qty FROM dict_lineitem GROUP BY mode ORDER BY mode;
SELECT CAST(flag AS VARCHAR) AS flag, CAST(status AS VARCHAR) AS status, count(*) AS n FROM dict_lineitem GROUP BY flag, status ORDER BY flag, status;
SELECT arrow_cast(instruct, 'LargeUtf8') AS instruct, count(*) AS n FROM dict_lineitem WHERE mode IN ('AIR', 'MAIL') GROUP BY instruct ORDER BY instruct;
SELECT count(DISTINCT mode) AS modes, count(DISTINCT instruct) AS instructs, min(flag) AS first_flag, max(mode) AS last_mode FROM dict_lineitem;
SELECT l_orderkey, l_linenumber, CAST(mode AS VARCHAR) AS mode FROM dict_lineitem ORDER BY mode DESC, l_orderkey, l_linenumber LIMIT 5;
SELECT CAST(d.mode AS VARCHAR) AS mode, CAST(o.o_orderpriority AS VARCHAR) AS priority, count(*) AS n
FROM dict_lineitem d JOIN orders o ON d.l_orderkey = o.o_orderkey WHERE o.o_orderpriority = '1-URGENT'
GROUP BY d.mode, o.o_orderpriority ORDER BY mode;
SELECT CAST(a.mode AS VARCHAR) AS mode, count(*) AS n FROM dict_lineitem a JOIN (SELECT DISTINCT l_shipmode FROM lineitem WHERE l_shipmode LIKE '%AIR%') b
ON a.mode = b.l_shipmode GROUP BY a.mode ORDER BY mode;
SELECT CAST(n.name AS VARCHAR) AS name, count(*) AS suppliers FROM (SELECT arrow_cast(n_name, 'Dictionary(Int32, Utf8)') AS name, n_nationkey FROM nation) n
JOIN supplier s ON n.n_nationkey = s.s_nationkey GROUP BY n.name ORDER BY suppliers DESC, name LIMIT 5;
SELECT arrow_cast(CAST(l_orderkey AS VARCHAR), 'Dictionary(Int8, Utf8)') AS k FROM lineitem;
SELECT count(*) AS n FROM (SELECT arrow_cast(CAST(l_orderkey AS VARCHAR), 'Dictionary(Int8, Utf8)') AS k FROM lineitem) t;
SELECT count(DISTINCT k) AS n FROM (SELECT arrow_cast(CAST(l_orderkey AS VARCHAR), 'Dictionary(Int32, Utf8)') AS k FROM lineitem) t;
