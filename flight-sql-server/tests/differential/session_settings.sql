-- Session settings that change answers, set and reset within one session: the time zone
-- (SET TIME ZONE forms, datafusion.execution.time_zone, RESET) with zone-aware timestamps from
-- constants and from tables (those run on executors, so the setting must travel with the
-- tasks); enable_ident_normalization; parse_float_as_decimal; default_null_ordering; the SQL
-- dialect; varchar lengths and recursive CTEs switched off; SHOW <key> and the settings table
-- for keys whose defaults DataFusion and Trebuchet share; unknown keys and bad values.
-- Keys with Trebuchet-specific defaults (target_partitions, recursion_limit, prefer_hash_join,
-- ...) are never shown. Every changed key is put back before the file ends.

CREATE TABLE events (id INT, secs BIGINT, label VARCHAR) AS VALUES
  (1, 0, 'epoch'),
  (2, 3600, 'one hour'),
  (3, 86399, 'last second of day one'),
  (4, 1700000000, 'nov 2023'),
  (5, 1719792000, 'july 2024'),
  (6, NULL, 'no time');

-- Time zone: the default is none

SHOW datafusion.execution.time_zone;

SHOW TIME ZONE;

SELECT to_timestamp(1) AS ts, arrow_typeof(to_timestamp(1)) AS t;

SELECT id, to_timestamp_seconds(secs) AS ts FROM events ORDER BY id;

-- SET TIME ZONE without '=' or TO is not implemented by DataFusion's planner.
SET TIME ZONE '+05:00';

SET TIME ZONE = '+05:00';

SHOW TIME ZONE;

SHOW datafusion.execution.time_zone;

SELECT to_timestamp(1) AS ts, arrow_typeof(to_timestamp(1)) AS t;

SELECT to_timestamp_seconds(1) AS s, to_timestamp_millis(1) AS ms, to_timestamp_micros(1) AS us, to_timestamp_nanos(1) AS ns;

SELECT arrow_typeof(to_timestamp_seconds(1)) AS s, arrow_typeof(to_timestamp_millis(1)) AS ms, arrow_typeof(to_timestamp_micros(1)) AS us;

SELECT to_timestamp('2024-01-01 10:00:00') AS local_text, to_timestamp('2024-01-01T10:00:00+01:00') AS offset_text;

SELECT CAST('2024-06-01 12:00:00' AS TIMESTAMP WITH TIME ZONE) AS tstz, arrow_typeof(CAST('2024-06-01 12:00:00' AS TIMESTAMP WITH TIME ZONE)) AS t;

SELECT TIMESTAMP '2024-06-01 12:00:00' AS naive, arrow_typeof(TIMESTAMP '2024-06-01 12:00:00') AS t;

SELECT date_part('hour', to_timestamp(0)) AS h, date_trunc('day', to_timestamp(3600 * 20)) AS day_start;

SELECT CAST(to_timestamp(3600 * 22) AS VARCHAR) AS text, CAST(to_timestamp(3600 * 22) AS DATE) AS day;

SELECT to_timestamp(1) = TIMESTAMP '1970-01-01 00:00:01' AS same_instant;

SELECT date_bin(INTERVAL '1 day', to_timestamp(100000)) AS bin;

SELECT id, to_timestamp_seconds(secs) AS ts, arrow_typeof(to_timestamp_seconds(secs)) AS t FROM events ORDER BY id;

SELECT id, date_part('hour', to_timestamp_seconds(secs)) AS h, date_trunc('day', to_timestamp_seconds(secs)) AS day_start FROM events ORDER BY id;

SELECT o_orderkey, to_timestamp_millis(o_orderkey * 3600000) AS ts FROM orders WHERE o_orderkey < 10 ORDER BY o_orderkey;

SELECT date_trunc('day', to_timestamp_seconds(o_orderkey * 3600)) AS day_start, count(*) AS n FROM orders WHERE o_orderkey < 200 GROUP BY 1 ORDER BY 1;

SELECT max(to_timestamp_seconds(o_orderkey)) AS latest, min(to_timestamp_micros(o_orderkey)) AS earliest FROM orders;

SELECT count(*) AS n FROM orders WHERE to_timestamp_seconds(o_orderkey * 60) < to_timestamp('1970-01-02 00:00:00');

CREATE TABLE events_tz AS SELECT id, to_timestamp_seconds(secs) AS ts FROM events;

SELECT id, ts, arrow_typeof(ts) AS t FROM events_tz ORDER BY id;

SET datafusion.execution.time_zone = 'America/New_York';

SHOW TIME ZONE;

SELECT to_timestamp(1) AS ts, arrow_typeof(to_timestamp(1)) AS t;

SELECT id, to_timestamp_seconds(secs) AS ts, date_part('hour', to_timestamp_seconds(secs)) AS h FROM events ORDER BY id;

SELECT date_trunc('month', to_timestamp_seconds(1710054000)) AS march_dst, date_part('hour', to_timestamp_seconds(1710054000)) AS h;

SELECT o_orderkey, date_part('hour', to_timestamp_seconds(o_orderkey * 3600)) AS h FROM orders WHERE o_orderkey < 8 ORDER BY o_orderkey;

SELECT id, ts, arrow_typeof(ts) AS t FROM events_tz ORDER BY id;

SET timezone = '+00:00';

SHOW timezone;

SELECT to_timestamp_millis(1) AS ts, arrow_typeof(to_timestamp_millis(1)) AS t;

SELECT o_orderkey, to_timestamp_millis(o_orderkey) AS ts FROM orders WHERE o_orderkey < 5 ORDER BY o_orderkey;

SET timezone TO 'UTC';

SELECT to_timestamp(86400) AS ts, arrow_typeof(to_timestamp(86400)) AS t;

SELECT count(*) AS n, min(to_timestamp(o_orderkey)) AS first_ts FROM orders WHERE o_orderkey < 100;

SET time.zone = '-03:30';

SHOW datafusion.execution.time_zone;

SELECT to_timestamp(0) AS ts, date_part('hour', to_timestamp(0)) AS h, date_part('minute', to_timestamp(0)) AS m;

-- RESET returns to no zone: constants and distributed queries alike

RESET datafusion.execution.time_zone;

SHOW datafusion.execution.time_zone;

SHOW TIME ZONE;

SELECT to_timestamp(1) AS ts, arrow_typeof(to_timestamp(1)) AS t;

SELECT to_timestamp_millis(1) AS ts, arrow_typeof(to_timestamp_millis(1)) AS t;

SELECT o_orderkey, to_timestamp_millis(o_orderkey) AS ts FROM orders WHERE o_orderkey < 5 ORDER BY o_orderkey;

SELECT id, to_timestamp_seconds(secs) AS ts, arrow_typeof(to_timestamp_seconds(secs)) AS t FROM events ORDER BY id;

SELECT date_trunc('day', to_timestamp_seconds(o_orderkey * 3600)) AS day_start, count(*) AS n FROM orders WHERE o_orderkey < 200 GROUP BY 1 ORDER BY 1;

SELECT id, ts, arrow_typeof(ts) AS t FROM events_tz ORDER BY id;

SELECT e.id, e.ts FROM events_tz e JOIN orders o ON e.id = o.o_orderkey ORDER BY e.id;

SET datafusion.execution.time_zone = '+05:00';

SELECT to_timestamp(1) AS ts;

RESET TIME ZONE;

SELECT to_timestamp(1) AS ts, arrow_typeof(to_timestamp(1)) AS t;

SET timezone = '+05:00';

RESET timezone;

SHOW timezone;

SELECT count(*) AS n, max(to_timestamp_millis(o_orderkey)) AS latest FROM orders;

-- A zone DataFusion cannot parse is accepted by SET and fails when used

SET datafusion.execution.time_zone = 'Not/AZone';

SHOW datafusion.execution.time_zone;

SELECT to_timestamp(1) AS ts;

SELECT id FROM events ORDER BY id;

SET datafusion.execution.time_zone = '+25:00';

SELECT to_timestamp(1) AS ts;

RESET datafusion.execution.time_zone;

SELECT to_timestamp(1) AS ts;

-- Identifier normalization

SET datafusion.sql_parser.enable_ident_normalization = false;

SHOW datafusion.sql_parser.enable_ident_normalization;

CREATE TABLE "CaseT" ("Id" INT, "Name" VARCHAR, lower_col INT) AS VALUES (1, 'one', 10), (2, 'two', 20), (3, 'three', 30);

SELECT Id, Name FROM CaseT ORDER BY Id;

SELECT "Id", "Name" FROM "CaseT" ORDER BY "Id";

SELECT id FROM CaseT;

SELECT Id FROM caset;

SELECT Id, Lower_Col FROM CaseT;

SELECT count(*) AS Total, sum(lower_col) AS SumCol FROM CaseT;

SELECT n_name AS NationName FROM nation WHERE n_nationkey < 3 ORDER BY NationName;

SELECT N_NAME FROM nation;

SELECT n_name FROM NATION;

SELECT c.Name, n.n_name FROM CaseT c JOIN nation n ON c.Id = n.n_nationkey ORDER BY c.Id;

SELECT MyAlias.Id FROM CaseT AS MyAlias WHERE MyAlias.Id > 1 ORDER BY MyAlias.Id;

SELECT myalias.Id FROM CaseT AS MyAlias;

SELECT UPPER(Name) AS Up, Count(*) AS Cnt FROM CaseT GROUP BY Name ORDER BY Up;

WITH Cte AS (SELECT Id AS Key FROM CaseT) SELECT Key FROM Cte ORDER BY Key;

SELECT column_name FROM information_schema.columns WHERE table_name = 'CaseT' ORDER BY ordinal_position;

SET datafusion.sql_parser.enable_ident_normalization = true;

SELECT "Id", "Name" FROM "CaseT" ORDER BY "Id";

SELECT Id FROM "CaseT";

SELECT count(*) AS Total FROM "CaseT";

SELECT N_NAME FROM NATION WHERE N_NATIONKEY = 1;

DROP TABLE "CaseT";

-- Floats parsed as decimals

SELECT 0.1 + 0.2 AS s, arrow_typeof(0.1 + 0.2) AS t, arrow_typeof(1.5) AS t2;

SET datafusion.sql_parser.parse_float_as_decimal = true;

SELECT 0.1 + 0.2 AS s, arrow_typeof(0.1 + 0.2) AS t, arrow_typeof(1.5) AS t2;

SELECT 1.5 * 3 AS p, 1.0 / 3 AS q, arrow_typeof(1.0 / 3) AS tq, 1e3 AS e, 12345678901234567890.123 AS big;

SELECT arrow_typeof(12345678901234567890.123) AS t, arrow_typeof(1e3) AS te, -0.005 AS neg;

SELECT sum(l_quantity * 1.1) AS q, arrow_typeof(sum(l_quantity * 1.1)) AS t FROM lineitem;

SELECT l_orderkey, l_linenumber, l_extendedprice * 0.95 AS discounted FROM lineitem WHERE l_orderkey < 4 ORDER BY l_orderkey, l_linenumber;

SELECT c_custkey, c_acctbal / 3.0 AS third FROM customer WHERE c_custkey <= 5 ORDER BY c_custkey;

SELECT count(*) AS n FROM orders WHERE o_totalprice > 100000.50;

SELECT id, secs * 1.5 AS scaled FROM events ORDER BY id;

CREATE TABLE dec_literals AS SELECT 1.25 AS x, 0.001 AS y, 100.0 AS z;

SELECT x, y, z, arrow_typeof(x) AS tx, arrow_typeof(y) AS ty, arrow_typeof(z) AS tz FROM dec_literals;

SELECT CAST(1.5 AS DOUBLE) AS d, arrow_typeof(CAST(1.5 AS DOUBLE)) AS t;

SET datafusion.sql_parser.parse_float_as_decimal = false;

SELECT 0.1 + 0.2 AS s, arrow_typeof(0.1 + 0.2) AS t;

SELECT sum(l_quantity * 1.1) AS q, arrow_typeof(sum(l_quantity * 1.1)) AS t FROM lineitem;

SELECT x, arrow_typeof(x) AS tx FROM dec_literals;

-- Default NULL ordering (ORDER BY runs on executors for tables)

CREATE TABLE nullable_vals (k INT, v INT) AS VALUES (1, 10), (2, NULL), (3, 30), (4, NULL), (5, 20);

SELECT k, v FROM nullable_vals ORDER BY v, k;

SET datafusion.sql_parser.default_null_ordering = 'nulls_first';

SELECT k, v FROM nullable_vals ORDER BY v, k;

SELECT k, v FROM nullable_vals ORDER BY v DESC, k;

SELECT k, row_number() OVER (ORDER BY v, k) AS rn FROM nullable_vals ORDER BY k;

SET datafusion.sql_parser.default_null_ordering = 'nulls_last';

SELECT k, v FROM nullable_vals ORDER BY v DESC, k;

SELECT k, v FROM nullable_vals ORDER BY v NULLS FIRST, k;

RESET datafusion.sql_parser.default_null_ordering;

SELECT k, v FROM nullable_vals ORDER BY v DESC, k;

-- SQL dialect

SET datafusion.sql_parser.dialect = 'MySQL';

SELECT `k`, `v` FROM nullable_vals WHERE `k` < 3 ORDER BY `k`;

SET datafusion.sql_parser.dialect = 'PostgreSQL';

SELECT 2 ^ 10 AS p;

SELECT k::VARCHAR AS s FROM nullable_vals ORDER BY k;

SET datafusion.sql_parser.dialect = 'NoSuchDialect';

SET datafusion.sql_parser.dialect = 'generic';

SHOW datafusion.sql_parser.dialect;

-- Parser and execution switches

SET datafusion.sql_parser.support_varchar_with_length = false;

CREATE TABLE varchar_len (s VARCHAR(10));

SET datafusion.sql_parser.support_varchar_with_length = true;

CREATE TABLE varchar_len (s VARCHAR(10));

SELECT arrow_typeof(s) AS t FROM varchar_len;

SET datafusion.execution.enable_recursive_ctes = false;

WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 3) SELECT i FROM r ORDER BY i;

SET datafusion.execution.enable_recursive_ctes = true;

WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 3) SELECT i FROM r ORDER BY i;

SET datafusion.catalog.default_schema = 'no_such_schema';

SELECT count(*) FROM orders;

SELECT count(*) FROM public.orders;

SET datafusion.catalog.default_schema = 'public';

SELECT count(*) FROM orders;

SET datafusion.execution.batch_size = 7;

SHOW datafusion.execution.batch_size;

SELECT o_orderstatus, count(*) AS n FROM orders GROUP BY o_orderstatus ORDER BY o_orderstatus;

SELECT k, sum(v) OVER (ORDER BY k) AS running FROM nullable_vals ORDER BY k;

SET datafusion.execution.batch_size TO 100;

SHOW datafusion.execution.batch_size;

SET DATAFUSION.EXECUTION.BATCH_SIZE = 4096;

SHOW datafusion.execution.batch_size;

RESET datafusion.execution.batch_size;

SHOW datafusion.execution.batch_size;

SHOW datafusion.execution.batch_size VERBOSE;

-- The settings table, for keys whose defaults both sides share

SELECT name, value FROM information_schema.df_settings WHERE name IN ('datafusion.execution.batch_size', 'datafusion.execution.time_zone', 'datafusion.catalog.default_catalog', 'datafusion.catalog.default_schema', 'datafusion.catalog.information_schema', 'datafusion.sql_parser.enable_ident_normalization', 'datafusion.sql_parser.parse_float_as_decimal', 'datafusion.sql_parser.dialect', 'datafusion.sql_parser.default_null_ordering') ORDER BY name;

SELECT name, value FROM information_schema.df_settings WHERE name LIKE 'datafusion.sql_parser.%' AND name NOT IN ('datafusion.sql_parser.recursion_limit', 'datafusion.sql_parser.map_string_types_to_utf8view') ORDER BY name;

SELECT name, value FROM information_schema.df_settings WHERE name LIKE 'datafusion.format.%' ORDER BY name;

SET datafusion.execution.batch_size = 1234;

SELECT name, value FROM information_schema.df_settings WHERE name = 'datafusion.execution.batch_size';

SELECT value FROM information_schema.df_settings WHERE name = 'datafusion.execution.time_zone';

RESET datafusion.execution.batch_size;

SHOW datafusion.catalog.default_catalog;

SHOW datafusion.sql_parser.parse_float_as_decimal;

SHOW datafusion.format.null;

-- Unknown keys and bad values

SET datafusion.nonexistent.key = 1;

SET datafusion.execution.no_such_option = 1;

SET foo = 1;

SET foo.bar = 'x';

SHOW datafusion.no.such;

SHOW no_such_variable;

RESET datafusion.no.such;

SET datafusion.execution.batch_size = 'abc';

SET datafusion.execution.batch_size = -1;

SET datafusion.execution.batch_size = 0;

SET datafusion.execution.batch_size = 1, 2;

SET datafusion.sql_parser.enable_ident_normalization = 'maybe';

SET datafusion.sql_parser.enable_ident_normalization = 1;

SET datafusion.sql_parser.parse_float_as_decimal = 'yes';

SET datafusion.execution.time_zone = NULL;

SET LOCAL datafusion.execution.batch_size = 1;

SHOW datafusion.execution.batch_size;

SHOW datafusion.sql_parser.enable_ident_normalization;

SELECT count(*) AS n FROM orders;
