-- DML and DDL: CREATE TABLE with column types, defaults and NOT NULL; INSERT ... VALUES and
-- INSERT ... SELECT (from memory tables and TPC-H), read back; UPDATE and DELETE on memory
-- tables; CREATE TABLE AS SELECT, IF NOT EXISTS, CREATE OR REPLACE; views (create, replace,
-- drop); DROP TABLE [IF EXISTS]; COPY to Parquet, CSV and JSON (files, directories,
-- partitioned), read back through CREATE EXTERNAL TABLE, INSERT into an external table; and the
-- errors a user meets (wrong column count, uncastable values, NULL into NOT NULL, unknown
-- tables and columns, duplicates). The count row DataFusion answers INSERT, UPDATE, DELETE and
-- COPY with is a deliberate difference (Trebuchet sends commands with no columns and the count
-- in FlightInfo.total_records), so those statements are marked and a SELECT after each checks
-- what it did; their errors are compared as usual.

-- Typed tables, VALUES and SELECT back

CREATE TABLE typed (i8 TINYINT, i16 SMALLINT, i32 INT, i64 BIGINT, u8 TINYINT UNSIGNED, u32 INT UNSIGNED, r REAL, dbl DOUBLE, dec DECIMAL(12, 3), flag BOOLEAN, txt VARCHAR, dt DATE, ts TIMESTAMP, bin BYTEA);

SELECT * FROM typed;

INSERT INTO typed VALUES (1, 100, 1000, 10000000000, 255, 4000000000, 1.5, 2.25, 123.456, true, 'one', DATE '2024-01-31', TIMESTAMP '2024-01-31 12:34:56.789', X'DEADBEEF');

INSERT INTO typed VALUES (-128, -32768, -2147483648, -9223372036854775808, 0, 0, -0.5, -1e10, -999999999.999, false, '', DATE '1970-01-01', TIMESTAMP '1970-01-01 00:00:00', X''), (127, 32767, 2147483647, 9223372036854775807, 1, 1, 3.25, 1e-10, 0.001, NULL, 'three', DATE '2000-02-29', TIMESTAMP '2000-02-29 23:59:59.999999', X'00');

INSERT INTO typed (i32, txt) VALUES (7, 'partial'), (8, NULL);

SELECT * FROM typed ORDER BY i32;

SELECT arrow_typeof(i8) AS t1, arrow_typeof(u8) AS t2, arrow_typeof(u32) AS t3, arrow_typeof(r) AS t4, arrow_typeof(dec) AS t5, arrow_typeof(ts) AS t6, arrow_typeof(bin) AS t7 FROM typed LIMIT 1;

SELECT count(*) AS n, count(flag) AS flags, sum(i64) AS s64, sum(dec) AS sdec, min(dt) AS first_day, max(ts) AS last_ts FROM typed WHERE i32 <> 7;

INSERT INTO typed (i32, dbl, txt) SELECT i32 + 100, dbl * 2, upper(txt) FROM typed WHERE txt IS NOT NULL AND i32 BETWEEN 0 AND 10000;

SELECT i32, dbl, txt FROM typed ORDER BY i32;

INSERT INTO typed (i64, txt) VALUES (1 + 2 * 3, concat('a', 'b')), (CAST('42' AS BIGINT), CAST(42 AS VARCHAR));

SELECT i64, txt FROM typed WHERE i32 IS NULL ORDER BY i64;

SELECT count(*) FROM typed;

-- Implicit casts on insert: literals of other types are cast to the column types

CREATE TABLE casts (a INT, b DOUBLE, c VARCHAR, d DECIMAL(5, 1), e DATE);

INSERT INTO casts VALUES ('12', 3, 45, 1.26, '2020-05-17');

INSERT INTO casts VALUES (2.7, '1e3', true, 99, '2021-12-31');

SELECT * FROM casts ORDER BY a;

SELECT arrow_typeof(a) AS ta, arrow_typeof(b) AS tb, arrow_typeof(c) AS tc, arrow_typeof(d) AS td, arrow_typeof(e) AS te FROM casts LIMIT 1;

-- Defaults and NOT NULL

CREATE TABLE defaults (id INT NOT NULL, label VARCHAR DEFAULT 'none', qty INT DEFAULT 1, note VARCHAR);

INSERT INTO defaults (id) VALUES (1), (2);

INSERT INTO defaults (id, qty) VALUES (3, 30);

INSERT INTO defaults VALUES (4, 'four', 4, 'explicit');

INSERT INTO defaults (note, id) VALUES ('reordered', 5);

SELECT * FROM defaults ORDER BY id;

INSERT INTO defaults (id) VALUES (NULL);

INSERT INTO defaults (label) VALUES ('no id');

INSERT INTO defaults SELECT CAST(NULL AS INT), 'x', 1, 'y';

SELECT count(*) FROM defaults;

-- UPDATE and DELETE on a memory table

CREATE TABLE stock (sku INT, name VARCHAR, qty INT, price DECIMAL(8, 2));

INSERT INTO stock VALUES (1, 'bolt', 100, 0.25), (2, 'nut', 250, 0.10), (3, 'washer', 0, 0.05), (4, 'screw', 75, 0.30), (5, NULL, NULL, NULL);

UPDATE stock SET qty = qty + 10 WHERE sku IN (1, 2);

SELECT * FROM stock ORDER BY sku;

UPDATE stock SET price = price * 2, name = upper(name) WHERE qty > 80;

SELECT * FROM stock ORDER BY sku;

UPDATE stock SET qty = 0 WHERE sku > 100;

DELETE FROM stock WHERE qty = 0;

SELECT * FROM stock ORDER BY sku;

DELETE FROM stock WHERE name IS NULL;

SELECT sku, name FROM stock ORDER BY sku;

UPDATE stock SET qty = 1;

SELECT sum(qty) AS total FROM stock;

DELETE FROM stock;

SELECT count(*) FROM stock;

UPDATE stock SET missing = 1;

-- INSERT ... SELECT from TPC-H

CREATE TABLE big_orders (orderkey BIGINT, custkey BIGINT, total DECIMAL(15, 2), day DATE, priority VARCHAR);

INSERT INTO big_orders SELECT o_orderkey, o_custkey, o_totalprice, o_orderdate, o_orderpriority FROM orders WHERE o_totalprice > 400000;

SELECT count(*) AS n, sum(total) AS s, min(day) AS first_day, max(day) AS last_day FROM big_orders;

SELECT * FROM big_orders ORDER BY orderkey LIMIT 5;

INSERT INTO big_orders SELECT o_orderkey, o_custkey, o_totalprice, o_orderdate, o_orderpriority FROM orders WHERE o_orderkey < 10;

SELECT priority, count(*) AS n FROM big_orders GROUP BY priority ORDER BY priority;

SELECT b.orderkey, c.c_name FROM big_orders b JOIN customer c ON b.custkey = c.c_custkey WHERE b.orderkey < 10 ORDER BY b.orderkey;

INSERT INTO big_orders (orderkey, custkey) SELECT l_orderkey, count(*) FROM lineitem WHERE l_orderkey < 100 GROUP BY l_orderkey;

SELECT count(*) AS n, count(total) AS with_total, sum(custkey) AS s FROM big_orders;

INSERT INTO big_orders SELECT * FROM big_orders WHERE orderkey < 5;

SELECT orderkey, count(*) AS copies FROM big_orders WHERE orderkey < 5 GROUP BY orderkey ORDER BY orderkey;

-- CREATE TABLE AS SELECT

CREATE TABLE nation_summary AS SELECT n_regionkey, count(*) AS nations, min(n_name) AS first_name FROM nation GROUP BY n_regionkey;

SELECT * FROM nation_summary ORDER BY n_regionkey;

CREATE TABLE cust_stats AS SELECT c_mktsegment AS segment, count(*) AS customers, sum(c_acctbal) AS balance, avg(c_acctbal) AS avg_balance FROM customer GROUP BY c_mktsegment;

SELECT * FROM cust_stats ORDER BY segment;

CREATE TABLE order_lines AS SELECT o.o_orderkey, o.o_orderdate, l.l_linenumber, l.l_extendedprice * (1 - l.l_discount) AS revenue FROM orders o JOIN lineitem l ON o.o_orderkey = l.l_orderkey WHERE o.o_orderkey < 200;

SELECT count(*) AS n, sum(revenue) AS rev, arrow_typeof(sum(revenue)) AS t FROM order_lines;

SELECT o_orderkey, sum(revenue) AS rev FROM order_lines GROUP BY o_orderkey ORDER BY rev DESC, o_orderkey LIMIT 5;

CREATE TABLE from_values AS VALUES (1, 'a', 1.5), (2, 'b', NULL), (NULL, NULL, 3.0);

SELECT * FROM from_values ORDER BY column1 NULLS LAST;

CREATE TABLE named_values AS SELECT * FROM (VALUES (1, 'x'), (2, 'y')) AS v(num, letter);

SELECT * FROM named_values ORDER BY num;

CREATE TABLE empty_ctas AS SELECT * FROM orders WHERE false;

SELECT count(*) FROM empty_ctas;

SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'empty_ctas' ORDER BY ordinal_position;

CREATE TABLE typed_ctas AS SELECT CAST(1 AS SMALLINT) AS s, CAST(2.5 AS DECIMAL(6, 2)) AS d, DATE '2024-02-29' AS dt, [1, 2, 3] AS arr, {'k': 1, 'v': 'one'} AS st;

SELECT * FROM typed_ctas;

SELECT arrow_typeof(s) AS ts, arrow_typeof(d) AS td, arrow_typeof(arr) AS tarr, arrow_typeof(st) AS tst FROM typed_ctas;

CREATE TABLE ctas_with_cols (a, b) AS SELECT 1, 2;

CREATE TABLE nation_summary AS SELECT 1 AS x;

CREATE TABLE IF NOT EXISTS nation_summary AS SELECT 1 AS x;

SELECT count(*) AS n FROM nation_summary;

CREATE OR REPLACE TABLE nation_summary AS SELECT r_regionkey, r_name FROM region;

SELECT * FROM nation_summary ORDER BY r_regionkey;

CREATE OR REPLACE TABLE nation_summary (a INT, b VARCHAR);

SELECT count(*) FROM nation_summary;

INSERT INTO nation_summary VALUES (1, 'one');

SELECT * FROM nation_summary;

CREATE OR REPLACE TABLE brand_new AS SELECT 7 AS seven;

SELECT * FROM brand_new;

CREATE TABLE IF NOT EXISTS brand_new_two (x INT);

SELECT count(*) FROM brand_new_two;

CREATE TABLE IF NOT EXISTS brand_new_two (y VARCHAR);

SELECT column_name FROM information_schema.columns WHERE table_name = 'brand_new_two';

-- Views

CREATE VIEW rich_customers AS SELECT c_custkey, c_name, c_acctbal FROM customer WHERE c_acctbal > 9900;

SELECT * FROM rich_customers ORDER BY c_custkey;

SELECT count(*) AS n, max(c_acctbal) AS top FROM rich_customers;

CREATE VIEW rich_orders AS SELECT r.c_custkey, count(o.o_orderkey) AS orders FROM rich_customers r LEFT JOIN orders o ON o.o_custkey = r.c_custkey GROUP BY r.c_custkey;

SELECT * FROM rich_orders ORDER BY c_custkey;

SELECT table_name, table_type FROM information_schema.tables WHERE table_name IN ('rich_customers', 'rich_orders', 'typed', 'big_orders') ORDER BY table_name;

CREATE VIEW rich_customers AS SELECT 1 AS x;

CREATE OR REPLACE VIEW rich_customers AS SELECT c_custkey, c_name, c_acctbal FROM customer WHERE c_acctbal > 9960;

SELECT * FROM rich_customers ORDER BY c_custkey;

SELECT * FROM rich_orders ORDER BY c_custkey;

CREATE VIEW stock_view AS SELECT sku, qty FROM big_orders b JOIN stock s ON b.orderkey = s.sku;

SELECT count(*) FROM stock_view;

CREATE VIEW renamed (k, total) AS SELECT orderkey, total FROM big_orders;

CREATE VIEW typed_view AS SELECT i32, txt FROM typed WHERE i32 < 100;

SELECT * FROM typed_view ORDER BY i32;

INSERT INTO typed (i32, txt) VALUES (50, 'late');

SELECT * FROM typed_view ORDER BY i32;

INSERT INTO typed_view VALUES (1, 'x');

DROP VIEW rich_orders;

SELECT * FROM rich_orders;

DROP VIEW IF EXISTS rich_orders;

DROP VIEW rich_orders;

DROP VIEW typed;

DROP VIEW rich_customers;

SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'rich%' ORDER BY table_name;

-- DROP TABLE

CREATE TABLE doomed AS SELECT 1 AS x;

DROP TABLE doomed;

SELECT * FROM doomed;

DROP TABLE IF EXISTS doomed;

DROP TABLE doomed;

DROP TABLE IF EXISTS never_existed;

DROP TABLE typed_view;

CREATE TABLE doomed AS SELECT 'again' AS x;

SELECT * FROM doomed;

DROP TABLE orders_that_do_not_exist, doomed;

-- COPY to Parquet and back

COPY (SELECT n_nationkey, n_name, n_regionkey FROM nation) TO '${tmpdir}/nation.parquet';

CREATE EXTERNAL TABLE nation_copy STORED AS PARQUET LOCATION '${tmpdir}/nation.parquet';

SELECT * FROM nation_copy ORDER BY n_nationkey;

SELECT n.n_name, count(*) AS customers FROM customer c JOIN nation_copy n ON c.c_nationkey = n.n_nationkey GROUP BY n.n_name ORDER BY customers DESC, n.n_name LIMIT 5;

COPY typed TO '${tmpdir}/typed.parquet' STORED AS PARQUET;

CREATE EXTERNAL TABLE typed_copy STORED AS PARQUET LOCATION '${tmpdir}/typed.parquet';

SELECT * FROM typed_copy ORDER BY i32, i64;

SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'typed_copy' ORDER BY ordinal_position;

COPY (SELECT o_orderkey, o_custkey, o_totalprice, o_orderdate FROM orders WHERE o_orderkey < 1000) TO '${tmpdir}/orders_dir/' STORED AS PARQUET;

CREATE EXTERNAL TABLE orders_copy STORED AS PARQUET LOCATION '${tmpdir}/orders_dir/';

SELECT count(*) AS n, sum(o_totalprice) AS total, min(o_orderdate) AS first_day FROM orders_copy;

SELECT c.o_orderkey, c.o_totalprice = o.o_totalprice AS same FROM orders_copy c JOIN orders o ON c.o_orderkey = o.o_orderkey WHERE c.o_orderkey < 40 ORDER BY c.o_orderkey;

COPY (SELECT l_orderkey, l_linenumber, l_quantity FROM lineitem WHERE l_orderkey < 50) TO '${tmpdir}/lines.parquet' STORED AS PARQUET OPTIONS ('format.compression' 'zstd(3)');

CREATE EXTERNAL TABLE lines_copy STORED AS PARQUET LOCATION '${tmpdir}/lines.parquet';

SELECT l_orderkey, sum(l_quantity) AS qty, count(*) AS n FROM lines_copy GROUP BY l_orderkey ORDER BY l_orderkey;

CREATE EXTERNAL TABLE lines_declared (l_orderkey BIGINT, l_linenumber INT, l_quantity DECIMAL(15, 2)) STORED AS PARQUET LOCATION '${tmpdir}/lines.parquet';

SELECT count(*) AS n, sum(l_quantity) AS qty FROM lines_declared;

-- COPY with PARTITIONED BY, read back as a partitioned external table

COPY (SELECT o_orderkey, o_totalprice, o_orderstatus FROM orders WHERE o_orderkey < 500) TO '${tmpdir}/by_status/' STORED AS PARQUET PARTITIONED BY (o_orderstatus);

CREATE EXTERNAL TABLE by_status (o_orderkey BIGINT, o_totalprice DECIMAL(15, 2), o_orderstatus VARCHAR) STORED AS PARQUET PARTITIONED BY (o_orderstatus) LOCATION '${tmpdir}/by_status/';

SELECT o_orderstatus, count(*) AS n, sum(o_totalprice) AS total FROM by_status GROUP BY o_orderstatus ORDER BY o_orderstatus;

SELECT o_orderkey, o_orderstatus FROM by_status WHERE o_orderstatus = 'P' ORDER BY o_orderkey;

-- COPY to CSV and back

COPY (SELECT r_regionkey, r_name FROM region) TO '${tmpdir}/region.csv' STORED AS CSV OPTIONS ('format.has_header' 'true');

CREATE EXTERNAL TABLE region_csv STORED AS CSV LOCATION '${tmpdir}/region.csv' OPTIONS ('format.has_header' 'true');

SELECT * FROM region_csv ORDER BY r_regionkey;

SELECT arrow_typeof(r_regionkey) AS tk, arrow_typeof(r_name) AS tn FROM region_csv LIMIT 1;

COPY (SELECT c_custkey, c_name, c_acctbal FROM customer WHERE c_custkey <= 30) TO '${tmpdir}/cust.csv' STORED AS CSV OPTIONS ('format.has_header' 'false', 'format.delimiter' '|');

CREATE EXTERNAL TABLE cust_csv (custkey BIGINT, name VARCHAR, acctbal DECIMAL(15, 2)) STORED AS CSV LOCATION '${tmpdir}/cust.csv' OPTIONS ('format.has_header' 'false', 'format.delimiter' '|');

SELECT * FROM cust_csv ORDER BY custkey;

SELECT sum(acctbal) AS total, count(*) AS n FROM cust_csv;

COPY stock TO '${tmpdir}/stock_empty.csv' STORED AS CSV;

COPY (SELECT * FROM from_values) TO '${tmpdir}/with_nulls.csv' STORED AS CSV OPTIONS ('format.has_header' 'true');

CREATE EXTERNAL TABLE with_nulls_csv STORED AS CSV LOCATION '${tmpdir}/with_nulls.csv' OPTIONS ('format.has_header' 'true');

SELECT * FROM with_nulls_csv ORDER BY column1 NULLS LAST;

-- COPY to JSON (newline-delimited) and back

COPY (SELECT s_suppkey, s_name, s_acctbal FROM supplier WHERE s_suppkey <= 10) TO '${tmpdir}/supp.json' STORED AS JSON;

CREATE EXTERNAL TABLE supp_json STORED AS JSON LOCATION '${tmpdir}/supp.json';

SELECT * FROM supp_json ORDER BY s_suppkey;

SELECT arrow_typeof(s_suppkey) AS tk, arrow_typeof(s_acctbal) AS tb FROM supp_json LIMIT 1;

CREATE EXTERNAL TABLE supp_json_declared (s_suppkey BIGINT, s_name VARCHAR) STORED AS JSON LOCATION '${tmpdir}/supp.json';

SELECT * FROM supp_json_declared WHERE s_suppkey > 5 ORDER BY s_suppkey;

COPY (SELECT 1 AS a, [1, 2] AS arr, {'x': 'y'} AS st, NULL AS n) TO '${tmpdir}/nested.json' STORED AS JSON;

CREATE EXTERNAL TABLE nested_json STORED AS JSON LOCATION '${tmpdir}/nested.json';

SELECT a, arr, st FROM nested_json;

-- INSERT INTO an external table appends a file

CREATE EXTERNAL TABLE sink (k BIGINT, v VARCHAR) STORED AS PARQUET LOCATION '${tmpdir}/sink/';

SELECT count(*) FROM sink;

INSERT INTO sink VALUES (1, 'one'), (2, 'two');

INSERT INTO sink SELECT n_nationkey + 100, n_name FROM nation WHERE n_regionkey = 0;

SELECT * FROM sink ORDER BY k;

UPDATE sink SET v = 'changed';

DELETE FROM sink WHERE k = 1;

TRUNCATE TABLE sink;

MERGE INTO sink USING nation ON sink.k = nation.n_nationkey WHEN MATCHED THEN DELETE;

SELECT count(*) FROM sink;

CREATE EXTERNAL TABLE csv_sink (k BIGINT, v VARCHAR) STORED AS CSV LOCATION '${tmpdir}/csv_sink/' OPTIONS ('format.has_header' 'true');

INSERT INTO csv_sink SELECT r_regionkey, r_name FROM region;

SELECT * FROM csv_sink ORDER BY k;

-- COPY errors

COPY (SELECT 1) TO '${tmpdir}/bad.unknownformat';

COPY (SELECT 1 AS x) TO '${tmpdir}/opts.parquet' STORED AS PARQUET OPTIONS ('format.no_such_option' 'x');

COPY no_such_table TO '${tmpdir}/none.parquet';

-- INSERT errors: DataFusion's message is the expected answer

CREATE TABLE target (a INT, b VARCHAR, c DOUBLE);

INSERT INTO target VALUES (1, 'x');

INSERT INTO target VALUES (1, 'x', 1.0, 'extra');

INSERT INTO target (a, b) VALUES (1, 'x', 2.0);

INSERT INTO target (a, b, c) VALUES (1);

INSERT INTO target VALUES ('not a number', 'x', 1.0);

INSERT INTO target VALUES (1, 'x', 'not a double');

INSERT INTO target VALUES (99999999999, 'x', 1.0);

INSERT INTO target SELECT o_orderkey, o_comment FROM orders;

INSERT INTO target SELECT o_comment, o_comment, o_orderkey FROM orders WHERE o_orderkey < 10;

INSERT INTO target SELECT CAST(o_orderkey AS VARCHAR), o_comment, o_totalprice FROM orders WHERE o_orderkey < 10;

INSERT INTO target SELECT o_comment AS a, o_comment AS b, 1.0 FROM orders WHERE o_orderkey = 1;

INSERT INTO target SELECT o_orderkey * 1000000000, 'big', 1.0 FROM orders WHERE o_orderkey = 7;

INSERT INTO target (a, a) VALUES (1, 2);

INSERT INTO target (nope) VALUES (1);

INSERT INTO no_such_table VALUES (1);

INSERT INTO target VALUES (1, 'x', 1.0), (2, 'y');

INSERT INTO target VALUES (DATE '2020-01-01', 'x', 1.0);

INSERT INTO target VALUES ([1, 2], 'x', 1.0);

SELECT count(*) FROM target;

INSERT INTO target VALUES (1, 'fine', 1.0);

SELECT * FROM target;

CREATE TABLE target (x INT);

CREATE TABLE bad_type (x NOSUCHTYPE);

CREATE TABLE dup_cols (x INT, x INT);

CREATE TABLE AS_missing AS SELECT * FROM no_such_table;

CREATE EXTERNAL TABLE bad_format STORED AS NOSUCHFORMAT LOCATION '${tmpdir}/x';
