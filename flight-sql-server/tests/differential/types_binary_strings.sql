-- String and binary types: Utf8, LargeUtf8, Utf8View (arrow_cast), Binary, LargeBinary,
-- FixedSizeBinary and BinaryView. String functions, concatenation and its result types,
-- LIKE/ILIKE/regex, comparisons and collation by bytes, casts between strings and binary
-- and their errors, and GROUP BY, DISTINCT, ORDER BY and joins on every one of these
-- types, over created tables and TPC-H. Trebuchet sends Utf8View as Utf8 and BinaryView as
-- Binary (view types off for JDBC 18, a documented difference), so view columns are cast
-- back to plain types at the top of compared queries; the few statements that return a
-- view type directly are marked `differs`.

-- Literals and their types
SELECT 'abc' AS s, arrow_typeof('abc') AS t, '' AS empty, 'it''s' AS quoted, 'héllo wörld ✓' AS unicode;
SELECT arrow_cast('abc', 'LargeUtf8') AS l, arrow_typeof(arrow_cast('abc', 'LargeUtf8')) AS lt, arrow_typeof(arrow_cast('abc', 'Utf8View')) AS vt;
SELECT X'DEADBEEF' AS b, arrow_typeof(X'DEADBEEF') AS t, X'' AS empty_binary;
SELECT arrow_cast(X'DEADBEEF', 'LargeBinary') AS lb, arrow_cast(X'DEADBEEF', 'FixedSizeBinary(4)') AS fsb,
       arrow_typeof(arrow_cast(X'DEADBEEF', 'BinaryView')) AS bv, arrow_typeof(arrow_cast(X'DEADBEEF', 'FixedSizeBinary(4)')) AS ft;
SELECT CAST('abc' AS BYTEA) AS b, arrow_typeof(CAST('abc' AS BYTEA)) AS t, CAST(X'616263' AS VARCHAR) AS s, CAST(arrow_cast(X'616263', 'LargeBinary') AS VARCHAR) AS ls;
SELECT CAST(arrow_cast('abc', 'Utf8View') AS VARCHAR) AS from_view, CAST(arrow_cast(X'0102', 'BinaryView') AS BYTEA) AS from_binary_view;
SELECT arrow_cast('abc', 'Utf8View') AS v, arrow_cast(X'0102', 'BinaryView') AS bv;

-- Errors: bytes that are not UTF-8, wrong fixed sizes, bad encodings
SELECT CAST(X'FF' AS VARCHAR);
SELECT arrow_cast(X'DEADBEEF', 'FixedSizeBinary(3)');
SELECT decode('zz', 'hex');
SELECT octet_length(X'DEADBEEF');
SELECT digest('abc', 'sha1');
SELECT CAST('maybe' AS BOOLEAN);

-- String functions
SELECT upper('straße') AS u, lower('ÀB') AS l, initcap('hello wORLD') AS i, reverse('abc') AS r, length('héllo') AS len,
       octet_length('héllo') AS octets, bit_length('abc') AS bits, character_length(arrow_cast('héllo', 'LargeUtf8')) AS llen;
SELECT substr('hello', 2, 3) AS a, substring('hello' FROM 2 FOR 2) AS b, left('hello', 2) AS c, right('hello', 2) AS d,
       lpad('7', 3, '0') AS e, rpad('ab', 4, 'xy') AS f, repeat('ab', 3) AS g, substr('hello', 0, 2) AS h, substr('hello', -1, 3) AS i;
SELECT trim('  x  ') AS a, ltrim('xxaxx', 'x') AS b, btrim('xxaxx', 'x') AS c, split_part('a,b,c', ',', 2) AS d,
       strpos('hello', 'l') AS e, replace('aaa', 'a', 'bb') AS f, translate('abc', 'ab', 'xy') AS g, rtrim('abc  ') AS h;
SELECT starts_with('hello', 'he') AS a, ends_with('hello', 'lo') AS b, ascii('A') AS c, chr(65) AS d, to_hex(255) AS g,
       overlay('Txxxxas' PLACING 'hom' FROM 2 FOR 4) AS o, position('b' IN 'abc') AS p, find_in_set('b', 'a,b,c') AS f;
SELECT repeat('x', -1) AS neg_repeat, lpad('abc', 2) AS short_pad, chr(0) = '' AS nul, levenshtein('kitten', 'sitting') AS lev,
       substr_index('www.apache.org', '.', 2) AS si, string_to_array('a,b,,c', ',') AS arr;
SELECT CAST(md5('abc') AS VARCHAR) AS md5, encode(sha256('abc'), 'hex') AS sha, encode(digest(X'00', 'blake3'), 'hex') AS blake3,
       CAST(md5(X'DEADBEEF') AS VARCHAR) AS md5_bin, encode(sha224(arrow_cast(X'00', 'LargeBinary')), 'hex') AS sha_large;
SELECT md5('abc') AS m;
SELECT encode(X'DEADBEEF', 'hex') AS h, encode('abc', 'base64') AS b64, decode('YWJj', 'base64') AS d, decode('deadbeef', 'hex') AS dh,
       encode(arrow_cast(X'DEADBEEF', 'FixedSizeBinary(4)'), 'hex') AS fh, encode(arrow_cast(X'CAFE', 'LargeBinary'), 'base64') AS lb64;
SELECT 'abc' LIKE 'a%' AS a, 'abc' LIKE '_b_' AS b, 'ABC' ILIKE 'a%' AS c, 'a%c' LIKE 'a\%c' AS d, 'abc' NOT LIKE '%d' AS e,
       'abc' ~ '^a.c$' AS f, 'ABC' ~* 'b' AS g, 'abc' !~ 'z' AS h;
SELECT regexp_like('abc', 'B', 'i') AS a, regexp_replace('a1b22', '[0-9]+', '#', 'g') AS b, regexp_match('a1b22', '([a-z])([0-9]+)') AS c,
       regexp_count('a1b22', '[0-9]') AS d, regexp_replace('aaa', 'a', 'b') AS first_only;
SELECT regexp_like('abc', '(');

-- Concatenation and the types it yields
SELECT 'a' || 'b' || NULL AS n, concat('a', NULL, 'b') AS c, concat_ws('-', 'a', NULL, 'b') AS w, 'x' || 1 AS num;
SELECT arrow_typeof('a' || arrow_cast('b', 'LargeUtf8')) AS a, arrow_typeof(arrow_cast('a', 'Utf8View') || 'b') AS b,
       arrow_typeof(concat(arrow_cast('a', 'LargeUtf8'), 'b')) AS c, arrow_typeof(concat(arrow_cast('a', 'Utf8View'), 'b')) AS d;
SELECT 'a' || arrow_cast('b', 'LargeUtf8') AS large, CAST(arrow_cast('a', 'Utf8View') || 'b' AS VARCHAR) AS from_view, X'01' || X'02' AS bin;
SELECT arrow_typeof(X'01' || X'02') AS t, arrow_cast(X'01', 'LargeBinary') || X'02' AS lb;

-- Comparisons: bytewise order, across string and binary types
SELECT 'a' < 'b' AS a, 'B' < 'a' AS b, 'abc' = arrow_cast('abc', 'LargeUtf8') AS c, X'01' < X'02' AS d,
       arrow_cast('abc', 'Utf8View') = 'abc' AS e, '' IS NULL AS f, 'é' > 'z' AS g, 'abc' < 'abcd' AS h;
SELECT arrow_cast(X'DEADBEEF', 'FixedSizeBinary(4)') = arrow_cast(X'DEADBEEF', 'FixedSizeBinary(4)') AS a,
       arrow_cast(X'DEADBEEF', 'LargeBinary') = X'DEADBEEF' AS b, arrow_cast(X'00FF', 'BinaryView') > X'00' AS c, X'' < X'00' AS d;
SELECT greatest('apple', 'banana', 'Cherry') AS g, least(arrow_cast('b', 'LargeUtf8'), 'a') AS l, 'abc' IN ('x', 'abc') AS i, 'b' BETWEEN 'a' AND 'c' AS btw;

-- A table with one column of each string and binary type
CREATE TABLE texts AS
SELECT column1 AS id, column2 AS s, arrow_cast(column2, 'LargeUtf8') AS ls, arrow_cast(column2, 'Utf8View') AS vs,
       CAST(column2 AS BYTEA) AS b, arrow_cast(CAST(column2 AS BYTEA), 'LargeBinary') AS lb, arrow_cast(CAST(column2 AS BYTEA), 'BinaryView') AS vb,
       arrow_cast(CAST(column3 AS BYTEA), 'FixedSizeBinary(2)') AS fb, column4 AS grp
FROM (VALUES
  (1, 'apple', 'ab', 'fruit'),
  (2, 'Apple', 'AB', 'fruit'),
  (3, 'banana', 'ab', 'fruit'),
  (4, '', 'xx', 'empty'),
  (5, NULL, NULL, 'empty'),
  (6, 'héllo wörld', 'he', 'greeting'),
  (7, 'a string long enough to leave the view inline buffer', 'zz', 'greeting'),
  (8, 'apple', 'ab', 'fruit'),
  (9, '100%_sure', '%_', 'symbols'),
  (10, 'tab	and newline', 'ok', 'symbols')
) AS v;
SELECT id, s, ls, CAST(vs AS VARCHAR) AS vs, b, lb, CAST(vb AS BYTEA) AS vb, fb, grp FROM texts;
SELECT arrow_typeof(s), arrow_typeof(ls), arrow_typeof(vs), arrow_typeof(b), arrow_typeof(lb), arrow_typeof(vb), arrow_typeof(fb) FROM texts LIMIT 1;
SELECT * FROM texts;
SELECT id, s FROM texts ORDER BY s NULLS FIRST, id;
SELECT id, ls FROM texts ORDER BY ls DESC NULLS LAST, id;
SELECT id, CAST(vs AS VARCHAR) AS vs FROM texts ORDER BY vs, id;
SELECT id, b FROM texts ORDER BY b, id;
SELECT id, lb, fb FROM texts ORDER BY fb DESC, lb, id;
SELECT id, CAST(vb AS BYTEA) AS vb FROM texts ORDER BY vb NULLS FIRST, id;
SELECT id, upper(s) AS u, lower(ls) AS l, CAST(upper(vs) AS VARCHAR) AS uv, length(s) AS len, octet_length(ls) AS octets, length(vs) AS vlen FROM texts;
SELECT id, s || '!' AS bang, ls || s AS mixed, arrow_typeof(ls || s) AS t, concat(s, '-', ls) AS c, CAST(vs || '?' AS VARCHAR) AS v FROM texts;
SELECT id, substr(s, 2, 3) AS sub, left(ls, 1) AS l, reverse(s) AS r, CAST(replace(vs, 'p', 'P') AS VARCHAR) AS rp, split_part(s, ' ', 2) AS sp FROM texts;
SELECT id, encode(b, 'hex') AS hb, encode(lb, 'base64') AS lb64, encode(fb, 'hex') AS hf, CAST(b AS VARCHAR) AS back FROM texts;
SELECT id FROM texts WHERE s LIKE 'a%' ORDER BY id;
SELECT id FROM texts WHERE ls ILIKE 'A%' ORDER BY id;
SELECT id FROM texts WHERE vs LIKE '%o%' ORDER BY id;
SELECT id FROM texts WHERE s LIKE '100\%\_%' ORDER BY id;
SELECT id FROM texts WHERE s ~ '^[a-z]+$' ORDER BY id;
SELECT id FROM texts WHERE s = '' ORDER BY id;
SELECT id FROM texts WHERE s > 'apple' ORDER BY id;
SELECT id FROM texts WHERE b = X'6170706C65' ORDER BY id;
SELECT id FROM texts WHERE fb = arrow_cast(X'6162', 'FixedSizeBinary(2)') ORDER BY id;
SELECT id FROM texts WHERE vb > arrow_cast(X'61', 'BinaryView') ORDER BY id;
SELECT id FROM texts WHERE ls IN ('apple', 'banana') ORDER BY id;
SELECT id FROM texts WHERE starts_with(vs, 'a') ORDER BY id;

-- Aggregates, GROUP BY and DISTINCT over string and binary columns
SELECT min(s), max(s), min(ls), max(ls), min(b), max(b), min(fb), max(fb), count(s), count(DISTINCT s) FROM texts;
SELECT CAST(min(vs) AS VARCHAR) AS mn, CAST(max(vs) AS VARCHAR) AS mx, CAST(min(vb) AS BYTEA) AS mnb, count(DISTINCT vs) AS d FROM texts;
SELECT grp, string_agg(s, ',' ORDER BY s, id) AS joined, count(*) AS n, max(length(s)) AS longest FROM texts GROUP BY grp ORDER BY grp;
SELECT grp, array_agg(ls ORDER BY ls NULLS FIRST, id) AS vals FROM texts GROUP BY grp ORDER BY grp;
SELECT s, count(*) AS n FROM texts GROUP BY s;
SELECT ls, count(*) AS n FROM texts GROUP BY ls ORDER BY ls NULLS LAST;
SELECT CAST(vs AS VARCHAR) AS vs, count(*) AS n FROM texts GROUP BY vs;
SELECT b, count(*) AS n FROM texts GROUP BY b;
SELECT lb, fb, count(*) AS n FROM texts GROUP BY lb, fb;
SELECT CAST(vb AS BYTEA) AS vb, count(*) AS n FROM texts GROUP BY vb;
SELECT fb, count(*) AS n FROM texts GROUP BY fb ORDER BY fb NULLS FIRST;
SELECT upper(s) AS u, count(*) AS n FROM texts GROUP BY upper(s) HAVING count(*) > 1;
SELECT DISTINCT s FROM texts;
SELECT DISTINCT ls, fb FROM texts;
SELECT DISTINCT CAST(vb AS BYTEA) AS vb FROM texts;

-- Joins on string and binary keys of mixed types
CREATE TABLE fruit_names (name VARCHAR, colour VARCHAR);
INSERT INTO fruit_names VALUES ('apple', 'red'), ('banana', 'yellow'), ('Apple', 'green'), ('', 'none'), (NULL, 'unknown');
SELECT t.id, f.colour FROM texts t JOIN fruit_names f ON t.s = f.name ORDER BY t.id, f.colour;
SELECT t.id, f.colour FROM texts t JOIN fruit_names f ON t.ls = f.name ORDER BY t.id, f.colour;
SELECT t.id, f.colour FROM texts t JOIN fruit_names f ON t.vs = f.name ORDER BY t.id, f.colour;
SELECT t.id, f.colour FROM texts t JOIN fruit_names f ON t.b = CAST(f.name AS BYTEA) ORDER BY t.id, f.colour;
SELECT t.id, f.colour FROM texts t JOIN fruit_names f ON lower(t.s) = lower(f.name) ORDER BY t.id, f.colour;
SELECT t.id, f.colour FROM texts t LEFT JOIN fruit_names f ON t.s = f.name;
SELECT f.name, count(t.id) AS n FROM fruit_names f LEFT JOIN texts t ON t.vb = CAST(f.name AS BYTEA) GROUP BY f.name;
SELECT a.id AS a_id, b.id AS b_id FROM texts a JOIN texts b ON a.fb = b.fb AND a.id < b.id ORDER BY a_id, b_id;
SELECT a.id AS a_id, b.id AS b_id FROM texts a JOIN texts b ON a.lb = b.vb AND a.id < b.id ORDER BY a_id, b_id;
SELECT f.name FROM fruit_names f WHERE f.name NOT IN (SELECT s FROM texts WHERE s IS NOT NULL);
SELECT f.name FROM fruit_names f WHERE EXISTS (SELECT 1 FROM texts t WHERE t.ls = f.name);

-- TPC-H string columns in every string type
SELECT arrow_typeof(n_name), arrow_typeof(c_comment) FROM nation JOIN customer ON n_nationkey = c_nationkey LIMIT 1;
SELECT n_name, length(n_name) AS len, upper(substr(n_name, 1, 3)) AS code, arrow_cast(n_name, 'LargeUtf8') AS l FROM nation ORDER BY n_name;
SELECT r_name, string_agg(n_name, '|' ORDER BY n_name) AS nations FROM region JOIN nation ON r_regionkey = n_regionkey GROUP BY r_name ORDER BY r_name;
SELECT arrow_cast(l_shipmode, 'LargeUtf8') AS mode, count(*) AS n FROM lineitem GROUP BY 1 ORDER BY 1;
SELECT CAST(arrow_cast(l_shipmode, 'Utf8View') AS VARCHAR) AS mode, sum(l_quantity) AS q FROM lineitem GROUP BY arrow_cast(l_shipmode, 'Utf8View') ORDER BY mode;
SELECT CAST(l_returnflag AS BYTEA) AS flag, arrow_cast(CAST(l_linestatus AS BYTEA), 'FixedSizeBinary(1)') AS status, count(*) AS n
FROM lineitem GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS n FROM part WHERE p_type LIKE '%BRASS' AND p_name ILIKE '%GREEN%';
SELECT p_brand, count(*) AS n FROM part WHERE p_container ~ '^(SM|LG) (CASE|BOX)$' GROUP BY p_brand ORDER BY n DESC, p_brand LIMIT 5;
SELECT count(DISTINCT arrow_cast(c_mktsegment, 'Utf8View')) AS segs, count(DISTINCT CAST(c_phone AS BYTEA)) AS phones, min(arrow_cast(c_name, 'LargeUtf8')) AS first FROM customer;
SELECT c.c_name, CAST(o.o_orderpriority AS VARCHAR) AS priority FROM (SELECT arrow_cast(c_name, 'LargeUtf8') AS c_name, c_custkey FROM customer) c
JOIN (SELECT o_custkey, arrow_cast(o_orderpriority, 'Utf8View') AS o_orderpriority FROM orders) o ON c.c_custkey = o.o_custkey
WHERE c.c_custkey = 1 ORDER BY c.c_name, CAST(o.o_orderpriority AS VARCHAR);
SELECT s.s_name, n.n_name FROM (SELECT s_name, CAST(CAST(s_nationkey AS VARCHAR) AS BYTEA) AS k FROM supplier) s
JOIN (SELECT n_name, arrow_cast(CAST(CAST(n_nationkey AS VARCHAR) AS BYTEA), 'LargeBinary') AS k FROM nation) n ON s.k = n.k
ORDER BY s.s_name LIMIT 5;
SELECT split_part(o_clerk, '#', 2) AS clerk_no, count(*) AS n FROM orders GROUP BY 1 ORDER BY n DESC, clerk_no LIMIT 3;
SELECT left(c_phone, 2) AS prefix, count(*) AS n, min(c_phone) AS first FROM customer GROUP BY 1 ORDER BY 1;
