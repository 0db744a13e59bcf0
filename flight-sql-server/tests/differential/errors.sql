-- The errors a user meets, each DataFusion's message being the expected answer: syntax errors,
-- unknown tables and columns, ambiguous references, type mismatches, errors raised while
-- executing over table data (division by zero, failed casts, bad arguments; these run on
-- executors, in scans, joins, aggregates after a shuffle, windows and sorts), aggregate and
-- window misuse, wrong function arguments, subquery errors and unsupported statements. A few
-- statements that look like errors but are not (float division by zero, wrapping integer
-- overflow) are here too. Run-time errors whose message names a value read only rows that all
-- carry the same value, so which row fails first does not change the message.

CREATE TABLE amb1 (id INT, v INT, label VARCHAR) AS VALUES (1, 10, 'x'), (2, 20, '12'), (3, NULL, 'y');

CREATE TABLE amb2 (id INT, w INT, label VARCHAR) AS VALUES (1, 100, 'a'), (3, 300, 'b'), (4, 400, 'c');

CREATE TABLE texts (k INT, s VARCHAR, d VARCHAR) AS VALUES (1, 'abc', '2024-01-01'), (2, 'abc', '2024-13-01'), (3, '42', '2024-02-30');

-- Syntax errors

SELEC 1;

SELECT FROM;

SELECT * FORM orders;

SELECT 'abc;

SELECT (1 + 2;

SELECT 1 +;

SELECT o_orderkey FROM orders WHERE;

SELECT o_orderkey FROM orders ORDER o_orderkey;

SELECT o_orderkey FROM orders GROUP o_orderkey;

SELECT * FROM orders LIMIT;

SELECT * FROM orders JOIN customer ON;

SELECT * FROM orders WHERE o_orderkey = = 1;

SELECT CAST(o_orderkey AS) FROM orders;

SELECT CASE WHEN true THEN 1 FROM orders;

INSERT INTO amb1 VALUES;

CREATE TABLE (a INT);

-- A trailing comma in the select list and FOR UPDATE are accepted by DataFusion's parser.
SELECT o_orderkey, FROM orders WHERE o_orderkey < 5;

SELECT o_orderkey FROM orders WHERE o_orderkey < 3 FOR UPDATE;

-- Unknown tables and columns

SELECT * FROM nope;

SELECT * FROM public.nope;

SELECT * FROM nocat.public.orders;

SELECT * FROM datafusion.nope.orders;

SELECT count(*) FROM orders JOIN nope ON true;

SELECT o_nope FROM orders;

SELECT orders.x FROM orders;

SELECT x.o_orderkey FROM orders;

SELECT t.* FROM orders;

SELECT o_orderkey FROM orders WHERE o_nope = 1;

SELECT o_orderkey FROM orders ORDER BY o_nope;

SELECT count(*) FROM orders GROUP BY o_nope;

SELECT o_orderkey FROM orders o WHERE EXISTS (SELECT 1 FROM nation n WHERE n.n_nope = o.o_orderkey);

SELECT * FROM orders JOIN lineitem USING (nope);

SELECT * EXCLUDE (nope) FROM nation;

SELECT nation.* EXCEPT (n_nope) FROM nation;

SELECT array_agg(o_orderkey ORDER BY nope) FROM orders;

SELECT select FROM orders;

SELECT "O_ORDERKEY" FROM orders;

SELECT nope FROM amb1;

-- Ambiguous and duplicate names

SELECT id FROM amb1 JOIN amb2 ON amb1.id = amb2.id;

SELECT label FROM amb1, amb2;

SELECT n_nationkey FROM nation a JOIN nation b ON a.n_nationkey = b.n_nationkey;

SELECT n_name FROM nation, nation;

SELECT * FROM nation a, nation a;

SELECT * FROM orders o JOIN orders o ON o.o_orderkey = o.o_orderkey;

SELECT * FROM (SELECT 1 AS a, 2 AS a);

WITH a AS (SELECT 1), a AS (SELECT 2) SELECT * FROM a;

SELECT * FROM (SELECT 1) AS t(a, b);

SELECT id, w FROM amb1 JOIN amb2 USING (id) ORDER BY id;

SELECT amb1.label, amb2.label FROM amb1 JOIN amb2 ON amb1.id = amb2.id ORDER BY amb1.id;

-- Type mismatches caught while planning

SELECT 'a' + 1;

SELECT true + 1;

SELECT [1, 2] + 1;

SELECT interval '1 day' + 'x';

SELECT o_orderdate + o_comment FROM orders;

SELECT o_orderkey FROM orders WHERE o_comment;

SELECT o_orderkey FROM orders WHERE o_orderkey = 'abc';

SELECT count(*) FROM orders WHERE o_orderdate > 'yesterday';

SELECT o_orderkey IN ('a', 'b') FROM orders;

SELECT 'abc' LIKE 1;

SELECT o_orderkey FROM orders JOIN nation ON o_comment;

SELECT v FROM amb1 WHERE label + 1 > 0;

SELECT CAST(o_orderdate AS BOOLEAN) FROM orders;

SELECT CAST(o_totalprice AS DATE) FROM orders;

SELECT CAST(true AS DATE);

SELECT o_orderkey::nosuchtype FROM orders;

SELECT CAST('2024-13-45' AS DATE);

SELECT DATE '2024-02-30';

SELECT TIMESTAMP 'nope';

SELECT INTERVAL 'abc';

SELECT CAST(300 AS TINYINT);

SELECT [1, 'a'];

SELECT {'a': 1}['b'];

SELECT get_field(struct(1), 'x');

SELECT 1 INTERSECT SELECT 'a';

SELECT 1 UNION SELECT 1, 2;

SELECT o_orderkey, o_custkey FROM orders UNION ALL SELECT n_nationkey FROM nation;

VALUES (1), (1, 2);

SELECT * FROM orders LIMIT -1;

SELECT * FROM orders LIMIT 'a';

SELECT * FROM orders LIMIT 1.5;

SELECT * FROM orders OFFSET -1;

SELECT o_orderkey FROM orders LIMIT (SELECT 1);

SELECT o_orderkey FROM orders ORDER BY 5;

SELECT o_orderkey FROM orders ORDER BY 0;

SELECT o_orderkey FROM orders GROUP BY 5;

-- Coercions that succeed where a user might expect an error

SELECT CASE WHEN true THEN 1 ELSE 'a' END AS c;

SELECT o_orderkey, CASE WHEN o_orderkey > 0 THEN o_orderdate ELSE o_orderkey END AS d FROM orders WHERE o_orderkey < 4 ORDER BY o_orderkey;

-- Division by zero and arithmetic at run time, over table data (executors)

SELECT o_orderkey / 0 FROM orders;

SELECT o_orderkey % 0 FROM orders;

SELECT o_totalprice / 0 FROM orders;

SELECT o_orderkey / (o_orderkey - o_orderkey) FROM orders WHERE o_orderkey > 100;

SELECT sum(o_orderkey / (o_custkey % 2)) FROM orders;

SELECT o_custkey, sum(o_totalprice) / (count(*) - count(*)) FROM orders GROUP BY o_custkey;

SELECT count(*) FROM orders o JOIN customer c ON o.o_custkey = c.c_custkey WHERE c.c_acctbal / (c.c_nationkey - c.c_nationkey) > 0;

SELECT o_orderkey FROM orders ORDER BY o_orderkey / 0;

SELECT o_orderkey, sum(o_totalprice) OVER (PARTITION BY o_custkey ORDER BY o_orderkey) / 0 FROM orders;

SELECT id, v / (id - 2) FROM amb1;

SELECT 1 / 0;

SELECT CAST(o_totalprice AS DOUBLE) / 0 AS pos, CAST(-o_totalprice AS DOUBLE) / 0 AS neg FROM orders WHERE o_orderkey = 1;

SELECT 1.0 / 0 AS inf, -1.0 / 0 AS ninf, ln(0.0) AS ln0, CAST('NaN' AS DOUBLE) AS nan;

SELECT o_orderkey + 9223372036854775807 AS wrapped FROM orders WHERE o_orderkey = 1;

SELECT o_orderkey * 9223372036854775807 AS wrapped FROM orders WHERE o_orderkey = 2;

SELECT 9223372036854775807 + 1 AS wrapped;

SELECT sqrt(-1.0);

SELECT sqrt(CAST(o_orderkey AS DOUBLE) - 10) FROM orders WHERE o_orderkey = 1;

SELECT abs(CAST(-128 AS TINYINT));

SELECT abs(arrow_cast(o_orderkey - 129, 'Int8')) FROM orders WHERE o_orderkey = 1;

SELECT power(o_orderkey, 1000) AS p FROM orders WHERE o_orderkey = 2;

-- Failed casts and conversions at run time, over table data

SELECT CAST(o_orderstatus AS INT) FROM orders WHERE o_orderstatus = 'F';

SELECT CAST(s AS INT) FROM texts WHERE s = 'abc';

SELECT CAST(s AS INT) AS n FROM texts WHERE k = 3;

SELECT CAST(label AS INT) FROM amb1 WHERE id = 1;

SELECT CAST(d AS DATE) FROM texts WHERE k = 2;

SELECT CAST(d AS DATE) AS day FROM texts WHERE k = 1;

SELECT CAST(o_totalprice AS DECIMAL(3, 1)) FROM orders WHERE o_orderkey = 1;

SELECT CAST(o_orderkey + 200 AS TINYINT) FROM orders WHERE o_orderkey = 1;

SELECT arrow_cast(o_orderkey + 200, 'Int8') FROM orders WHERE o_orderkey = 1;

SELECT CAST(o_orderdate AS INT) AS days FROM orders WHERE o_orderkey = 1;

SELECT to_date(o_orderstatus) FROM orders WHERE o_orderstatus = 'F';

SELECT to_date(d) FROM texts WHERE k = 3;

SELECT to_timestamp(o_orderstatus) FROM orders WHERE o_orderstatus = 'F';

SELECT to_timestamp(o_orderstatus || '2024-01-01', '%Y') FROM orders WHERE o_orderstatus = 'F';

SELECT to_timestamp('not a time');

SELECT make_date(o_orderkey, 13, 1) FROM orders WHERE o_orderkey = 1;

SELECT o_orderkey FROM orders WHERE o_orderkey IN (SELECT n_name FROM nation WHERE n_nationkey = 0);

SELECT o_orderkey FROM orders JOIN nation ON o_orderkey = n_name WHERE n_nationkey = 0;

SELECT avg(o_orderkey) FILTER (WHERE o_orderpriority) FROM orders WHERE o_orderpriority = '1-URGENT';

SELECT decode(o_orderstatus, 'hex') FROM orders WHERE o_orderstatus = 'F';

SELECT decode(o_orderstatus, 'base64') FROM orders WHERE o_orderstatus = 'F';

SELECT regexp_like(o_comment, o_orderstatus || '(') FROM orders WHERE o_orderstatus = 'F';

SELECT substr(o_comment, 0, -1) FROM orders WHERE o_orderkey = 1;

SELECT chr(-1);

SELECT date_trunc('fortnight', o_orderdate) FROM orders;

SELECT date_part('fortnight', o_orderdate) FROM orders;

SELECT date_bin(INTERVAL '0 days', o_orderdate) FROM orders;

-- Aggregate misuse

SELECT o_custkey, count(*) FROM orders;

SELECT o_custkey FROM orders GROUP BY o_orderstatus;

SELECT sum(count(*)) FROM orders;

SELECT o_orderkey FROM orders WHERE count(*) > 1;

SELECT count(*) FROM orders GROUP BY count(*);

SELECT count(*) FILTER (WHERE count(*) > 1) FROM orders;

SELECT o_orderstatus FROM orders GROUP BY o_orderstatus HAVING o_comment = 'x';

SELECT o_orderkey FROM orders HAVING o_orderkey > 1;

SELECT DISTINCT o_orderstatus FROM orders ORDER BY o_orderkey;

SELECT sum(o_comment) FROM orders;

SELECT avg(o_orderdate) FROM orders;

SELECT median(o_comment) FROM orders;

SELECT string_agg(o_comment) FROM orders;

SELECT max(DISTINCT o_orderkey, 1) FROM orders;

SELECT approx_percentile_cont(o_totalprice, 1.5) FROM orders;

SELECT approx_percentile_cont(1.5) WITHIN GROUP (ORDER BY o_totalprice) FROM orders;

SELECT grouping(o_orderstatus) FROM orders;

SELECT sum(v) FROM amb1 GROUP BY label HAVING sum(nope) > 0;

-- Window misuse

SELECT rank(o_orderkey) OVER () FROM orders;

SELECT sum(o_orderkey) OVER w FROM orders;

SELECT o_orderkey FROM orders WHERE row_number() OVER () > 1;

SELECT sum(o_orderkey) OVER (PARTITION BY count(*)) FROM orders;

SELECT sum(o_orderkey) OVER (ROWS BETWEEN 1 FOLLOWING AND 1 PRECEDING) FROM orders;

SELECT sum(o_orderkey) OVER (ORDER BY o_orderkey ROWS BETWEEN -1 PRECEDING AND CURRENT ROW) FROM orders;

SELECT sum(o_orderkey) OVER (GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM orders;

SELECT sum(o_orderkey) OVER (ORDER BY o_orderdate, o_orderkey RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM orders;

SELECT ntile(0) OVER (ORDER BY o_orderkey) FROM orders;

SELECT ntile(-1) OVER (ORDER BY o_orderkey) FROM orders;

SELECT id, lag(v, -1) OVER (ORDER BY id) AS lead_by_lag, nth_value(v, 0) OVER (ORDER BY id) AS nth_zero FROM amb1 ORDER BY id;

-- Wrong function arguments and unknown functions (only names whose "Did you mean" suggestion
-- is unique: DataFusion picks among equally close names in hash order)

SELECT abs();

SELECT abs(1, 2);

SELECT abs(o_comment) FROM orders;

SELECT substr('abc');

SELECT no_such_function(1);

SELECT no_such_function(o_orderkey) FROM orders;

SELECT round('x');

SELECT lpad(o_comment) FROM orders;

SELECT upper(1);

SELECT upper(o_orderkey) FROM orders;

SELECT array_length(1);

SELECT array_element([1, 2, 3], 'x');

SELECT coalesce();

SELECT unnest(o_orderkey) FROM orders;

SELECT * FROM unnest(1);

SELECT * FROM generate_series(1, 'a');

SELECT encode(o_comment, 'nope') FROM orders;

SELECT arrow_cast(o_orderkey, 'NoSuchType') FROM orders;

SELECT arrow_cast(o_orderkey, o_comment) FROM orders;

SELECT date_part(o_comment, o_orderdate) FROM orders;

-- Subquery errors

SELECT (SELECT 1, 2);

SELECT (SELECT n_nationkey FROM nation);

SELECT * FROM orders WHERE o_orderkey = (SELECT o_orderkey FROM orders WHERE o_custkey = 1);

SELECT o_orderkey, o_custkey FROM orders WHERE o_orderkey IN (SELECT o_orderkey, o_custkey FROM orders);

SELECT o_orderkey FROM orders WHERE EXISTS (SELECT nope FROM nation);

-- Unsupported statements and features

BEGIN TRANSACTION;

START TRANSACTION;

COMMIT;

ROLLBACK;

CREATE INDEX idx ON orders (o_orderkey);

ALTER TABLE orders ADD COLUMN x INT;

MERGE INTO amb1 USING amb2 ON amb1.id = amb2.id WHEN MATCHED THEN DELETE;

GRANT SELECT ON orders TO bob;

CREATE FUNCTION f() RETURNS INT AS 'select 1';

ANALYZE TABLE orders;

VACUUM;

TRUNCATE TABLE amb1;

-- differs: Trebuchet's file policy refuses any write to the TPC-H files with PERMISSION_DENIED (docs/security.md) before DataFusion finds that the table cannot take updates
UPDATE orders SET o_orderkey = 0;

-- differs: as above, the file policy answers first (PERMISSION_DENIED, docs/security.md)
DELETE FROM orders WHERE o_orderkey = 1;

EXECUTE no_such_statement;

PREPARE by_key(BIGINT) AS SELECT o_orderkey, o_custkey FROM orders WHERE o_orderkey = $1;

EXECUTE by_key(3);

EXECUTE by_key('x');

EXECUTE by_key(1, 2);

DEALLOCATE by_key;

EXECUTE by_key(3);

EXPLAIN SELECT * FROM nope;

EXPLAIN SELECT o_orderkey / 0 FROM orders WHERE o_nope = 1;

-- The session still works after all of the above

SELECT count(*) AS n, sum(o_totalprice) AS total FROM orders;

SELECT id, v, w FROM amb1 JOIN amb2 USING (id) ORDER BY id;
