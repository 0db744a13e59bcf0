-- Temporal types: Date32, Date64, Time32(s, ms), Time64(us, ns), Timestamp in s/ms/us/ns
-- without a zone and with 'UTC', '+05:00' and 'America/New_York', intervals (YearMonth,
-- DayTime, MonthDayNano) and durations. Literals and casts between units and zones,
-- date_trunc, extract/date_part, date_bin, to_timestamp variants, timestamp and date
-- arithmetic, comparisons across zones, and GROUP BY/ORDER BY/joins over temporal columns
-- of created tables and of TPC-H. The file ends with SET datafusion.execution.time_zone,
-- which must reach every executor.

-- Literals and their types
SELECT DATE '2024-02-29' AS d, arrow_typeof(DATE '2024-02-29') AS t;
SELECT arrow_cast(DATE '2024-02-29', 'Date64') AS d64, arrow_typeof(arrow_cast(DATE '2024-02-29', 'Date64')) AS t;
SELECT TIMESTAMP '2024-01-01 12:34:56.789' AS ts, arrow_typeof(TIMESTAMP '2024-01-01 12:34:56.789') AS t;
SELECT arrow_cast(TIMESTAMP '2024-01-01 12:34:56.789123456', 'Timestamp(Second, None)') AS s,
       arrow_cast(TIMESTAMP '2024-01-01 12:34:56.789123456', 'Timestamp(Millisecond, None)') AS ms,
       arrow_cast(TIMESTAMP '2024-01-01 12:34:56.789123456', 'Timestamp(Microsecond, None)') AS us,
       arrow_cast(TIMESTAMP '2024-01-01 12:34:56.789123456', 'Timestamp(Nanosecond, None)') AS ns;
SELECT arrow_cast(TIMESTAMP '2024-01-01 12:34:56', 'Timestamp(Second, Some("UTC"))') AS utc,
       arrow_cast(TIMESTAMP '2024-01-01 12:34:56', 'Timestamp(Millisecond, Some("+05:00"))') AS plus5,
       arrow_cast(TIMESTAMP '2024-01-01 12:34:56', 'Timestamp(Microsecond, Some("America/New_York"))') AS ny,
       arrow_cast(TIMESTAMP '2024-07-01 12:34:56', 'Timestamp(Nanosecond, Some("America/New_York"))') AS ny_summer;
SELECT arrow_typeof(arrow_cast(TIMESTAMP '2024-01-01 12:34:56', 'Timestamp(s, "UTC")')) AS t;
SELECT TIMESTAMPTZ '2024-01-01 12:34:56+02:00' AS a, TIMESTAMP '2024-01-01 12:34:56-03:30' AS b, arrow_typeof(TIMESTAMP '2024-01-01 12:34:56+02:00') AS t;
SELECT TIME '12:34:56.789' AS t, arrow_typeof(TIME '12:34:56.789') AS ty;
SELECT arrow_cast(TIME '12:34:56.789', 'Time32(Second)') AS s, arrow_cast(TIME '12:34:56.789', 'Time32(Millisecond)') AS ms,
       arrow_cast(TIME '12:34:56.789', 'Time64(Microsecond)') AS us, arrow_cast(TIME '12:34:56.789123', 'Time64(Nanosecond)') AS ns;
SELECT INTERVAL '1 month' AS a, INTERVAL '1 year 2 months 3 days 4 hours 5 minutes 6.5 seconds' AS b, arrow_typeof(INTERVAL '1 month') AS t;
SELECT arrow_cast('1 year 2 months', 'Interval(YearMonth)') AS ym, arrow_cast('1 day 2 hours', 'Interval(DayTime)') AS dt,
       arrow_cast('1 month 1 day 1 nanosecond', 'Interval(MonthDayNano)') AS mdn;
SELECT arrow_typeof(arrow_cast('1 year', 'Interval(YearMonth)')) AS ym, arrow_typeof(arrow_cast('1 day', 'Interval(DayTime)')) AS dt;
SELECT arrow_cast(10, 'Duration(Second)') AS s, arrow_cast(10, 'Duration(Millisecond)') AS ms,
       arrow_cast(10, 'Duration(Microsecond)') AS us, arrow_cast(10, 'Duration(Nanosecond)') AS ns;
SELECT TIMESTAMP '1970-01-01 00:00:00' AS epoch, DATE '0001-01-01' AS d1, DATE '9999-12-31' AS d9, TIMESTAMP '1677-09-22 00:12:44' AS early_ns;
SELECT arrow_cast(DATE '0001-01-01', 'Timestamp(Second, None)') AS s, arrow_cast(DATE '1900-01-01', 'Date64') AS d64;

-- Errors: bad literals, out-of-range conversions, unknown units
SELECT CAST('2024-13-01' AS DATE);
SELECT CAST('2024-02-30' AS DATE);
SELECT CAST('2024-01-01 25:00:00' AS TIMESTAMP);
SELECT CAST('25:00:00' AS TIME);
SELECT arrow_cast(DATE '0001-01-01', 'Timestamp(Nanosecond, None)');
SELECT to_timestamp('garbage');
SELECT date_trunc('fortnight', TIMESTAMP '2024-05-15 00:00:00');
SELECT arrow_cast(INTERVAL '1 month', 'Interval(YearMonth)');
SELECT INTERVAL '1 day' * 3;
SELECT TIME '10:00:00' < arrow_cast(TIME '10:00:01', 'Time32(Second)');
SELECT arrow_cast(TIMESTAMP '2024-01-01 00:00:00', 'Timestamp(Second, Some("Mars/Olympus"))');

-- Casts between temporal types and to numbers and strings
SELECT CAST(TIMESTAMP '2024-01-01 12:34:56' AS DATE) AS d, CAST(DATE '2024-01-01' AS TIMESTAMP) AS ts, CAST(TIMESTAMP '2024-01-01 12:34:56' AS TIME) AS t;
SELECT CAST(DATE '2024-01-01' AS INT) AS i, CAST(DATE '2024-01-01' AS BIGINT) AS b, CAST(TIMESTAMP '2024-01-01 00:00:00' AS BIGINT) AS ns;
SELECT CAST(1704067200 AS TIMESTAMP) AS ts, arrow_cast(19723, 'Date32') AS d, arrow_cast(1704067200000, 'Date64') AS d64, arrow_cast(arrow_cast(3600, 'Int32'), 'Time32(Second)') AS t;
SELECT arrow_cast(3600, 'Time32(Second)');
SELECT CAST(DATE '2024-02-29' AS VARCHAR) AS d, CAST(TIMESTAMP '2024-02-29 01:02:03.004' AS VARCHAR) AS ts,
       CAST(arrow_cast(TIMESTAMP '2024-07-01 12:00:00', 'Timestamp(Second, Some("America/New_York"))') AS VARCHAR) AS ny, CAST(TIME '01:02:03' AS VARCHAR) AS t;
SELECT CAST('2024-02-29' AS DATE) AS d, CAST('2024-02-29T01:02:03Z' AS TIMESTAMP) AS ts, CAST('12:34:56' AS TIME) AS t, CAST('2024-02-29 01:02:03+05:00' AS TIMESTAMP) AS tz;
SELECT arrow_cast(arrow_cast(TIMESTAMP '2024-01-01 00:00:00', 'Timestamp(Second, Some("UTC"))'), 'Timestamp(Second, Some("+05:00"))') AS converted,
       CAST(arrow_cast(TIMESTAMP '2024-01-01 00:00:00', 'Timestamp(Second, Some("+05:00"))') AS TIMESTAMP) AS naive;
SELECT arrow_cast(arrow_cast(TIMESTAMP '2024-03-10 06:59:59', 'Timestamp(Second, Some("UTC"))'), 'Timestamp(Second, Some("America/New_York"))') AS before_dst,
       arrow_cast(arrow_cast(TIMESTAMP '2024-03-10 07:00:00', 'Timestamp(Second, Some("UTC"))'), 'Timestamp(Second, Some("America/New_York"))') AS after_dst;
SELECT arrow_cast(arrow_cast(TIMESTAMP '2024-01-01 12:34:56.789', 'Timestamp(Millisecond, None)'), 'Timestamp(Second, None)') AS truncated,
       arrow_cast(arrow_cast(TIMESTAMP '2024-01-01 12:34:56', 'Timestamp(Second, None)'), 'Timestamp(Nanosecond, None)') AS widened;
SELECT TIMESTAMP '2024-03-10 12:00:00' AT TIME ZONE 'America/New_York' AS ny, TIMESTAMP '2024-03-10 12:00:00' AT TIME ZONE '+05:00' AS plus5;
SELECT to_local_time(arrow_cast(TIMESTAMP '2024-01-01 12:00:00', 'Timestamp(Second, Some("America/New_York"))')) AS local;

-- to_timestamp and friends
SELECT to_timestamp('2024-01-01T00:00:00Z') AS a, to_timestamp(1700000000) AS b, to_timestamp_seconds(1700000000) AS c,
       to_timestamp_millis(1700000000000) AS d, to_timestamp_micros(1700000000000000) AS e, to_timestamp_nanos(1700000000000000000) AS f;
SELECT to_timestamp('03/04/2024 10:11', '%m/%d/%Y %H:%M') AS a, to_date('2024-03-04') AS b, to_date('04.03.2024', '%d.%m.%Y') AS c,
       to_timestamp_seconds('2024-01-01 00:00:01.999') AS s, to_timestamp(1.5) AS frac;
SELECT to_timestamp('2024-01-01 10:00:00+05:00') AS offset_string, to_timestamp_millis('2024-01-01T10:00:00.123-02:00') AS ms;
SELECT make_date(2024, 2, 29) AS d, to_char(DATE '2024-02-29', '%Y/%m/%d') AS s, to_char(TIMESTAMP '2024-02-29 13:14:15', '%H-%M-%S') AS t,
       from_unixtime(0) AS f, to_unixtime(TIMESTAMP '2024-01-01 00:00:00') AS u;
SELECT make_date(2023, 2, 29);
SELECT now() IS NOT NULL AS a, current_date IS NOT NULL AS b, current_time IS NOT NULL AS c, arrow_typeof(now()) AS t;

-- date_trunc, date_part/extract, date_bin
SELECT date_trunc('month', TIMESTAMP '2024-02-29 12:34:56') AS m, date_trunc('week', DATE '2024-02-29') AS w,
       date_trunc('quarter', TIMESTAMP '2024-05-15 00:00:00') AS q, date_trunc('year', DATE '2024-05-15') AS y,
       date_trunc('millisecond', TIMESTAMP '2024-05-15 00:00:00.123456') AS ms, date_trunc('minute', TIME '12:34:56') AS mi;
SELECT date_trunc('hour', arrow_cast(TIMESTAMP '2024-02-29 12:34:56', 'Timestamp(Second, Some("+05:00"))')) AS h,
       date_trunc('day', arrow_cast(TIMESTAMP '2024-01-01 02:00:00', 'Timestamp(Second, Some("America/New_York"))')) AS ny_day,
       date_trunc('month', arrow_cast(TIMESTAMP '2024-03-31 23:00:00', 'Timestamp(Millisecond, Some("UTC"))')) AS utc_month;
SELECT extract(year FROM DATE '2024-02-29') AS y, extract(dow FROM DATE '2024-02-29') AS dow, extract(epoch FROM TIMESTAMP '2024-02-29 00:00:01') AS e,
       date_part('doy', DATE '2024-12-31') AS doy, extract(quarter FROM DATE '2024-05-01') AS q, extract(week FROM DATE '2024-12-30') AS wk;
SELECT extract(hour FROM TIME '12:34:56') AS h, extract(microsecond FROM TIMESTAMP '2024-01-01 00:00:01.5') AS us,
       extract(nanosecond FROM TIMESTAMP '2024-01-01 00:00:01.5') AS ns, extract(millisecond FROM TIME '00:00:01.5') AS ms,
       extract(second FROM TIMESTAMP '2024-01-01 00:00:01.5') AS s;
SELECT extract(day FROM INTERVAL '3 days 4 hours') AS d, extract(hour FROM INTERVAL '3 days 4 hours') AS h, extract(month FROM INTERVAL '14 months') AS m,
       extract(epoch FROM INTERVAL '1 day') AS e;
SELECT extract(hour FROM arrow_cast(TIMESTAMP '2024-01-01 12:00:00', 'Timestamp(Second, Some("+05:00"))')) AS h,
       extract(hour FROM arrow_cast(TIMESTAMP '2024-01-01 12:00:00', 'Timestamp(Second, Some("America/New_York"))')) AS ny,
       extract(epoch FROM arrow_cast(TIMESTAMP '2024-01-01 12:00:00', 'Timestamp(Second, Some("+05:00"))')) AS e;
SELECT arrow_typeof(extract(year FROM DATE '2024-02-29')) AS y, arrow_typeof(date_part('epoch', TIMESTAMP '2024-02-29 00:00:01')) AS e;
SELECT date_bin(INTERVAL '15 minutes', TIMESTAMP '2024-01-01 10:22:00', TIMESTAMP '2000-01-01') AS b,
       date_bin(INTERVAL '1 day', arrow_cast(TIMESTAMP '2024-01-01 10:22:00', 'Timestamp(Second, Some("+05:00"))')) AS tzb;

-- Arithmetic: intervals, durations, differences
SELECT DATE '2024-01-31' + INTERVAL '1 month' AS d, arrow_typeof(DATE '2024-01-31' + INTERVAL '1 month') AS t,
       DATE '2024-03-01' - INTERVAL '1 day' AS back, DATE '2024-03-01' + 1 AS plus_int;
SELECT TIMESTAMP '2024-01-31 10:00:00' + INTERVAL '1 month 1 hour' AS a, TIMESTAMP '2024-03-31 00:00:00' - INTERVAL '1 month' AS b,
       TIMESTAMP '2024-01-01 00:00:00' + INTERVAL '1.5 seconds' AS c;
SELECT DATE '2024-01-31' + arrow_cast('1 year 2 months', 'Interval(YearMonth)') AS ym, TIMESTAMP '2024-01-31 10:00:00' + arrow_cast('1 day 2 hours', 'Interval(DayTime)') AS dt;
SELECT arrow_cast(TIMESTAMP '2024-01-31 10:00:00', 'Timestamp(Second, Some("America/New_York"))') + INTERVAL '1 day' AS ny_day,
       arrow_cast(TIMESTAMP '2024-03-09 12:00:00', 'Timestamp(Second, Some("America/New_York"))') + INTERVAL '1 day' AS across_dst,
       arrow_cast(TIMESTAMP '2024-03-09 12:00:00', 'Timestamp(Second, Some("America/New_York"))') + INTERVAL '24 hours' AS hours_across_dst;
SELECT TIMESTAMP '2024-01-02 00:00:00' - TIMESTAMP '2024-01-01 12:00:00' AS d, arrow_typeof(TIMESTAMP '2024-01-02' - TIMESTAMP '2024-01-01') AS t;
SELECT arrow_cast(TIMESTAMP '2024-01-02 00:00:00', 'Timestamp(Second, None)') - arrow_cast(TIMESTAMP '2024-01-01 12:00:00', 'Timestamp(Second, None)') AS s,
       arrow_cast(TIMESTAMP '2024-01-02 00:00:00', 'Timestamp(Millisecond, None)') - arrow_cast(TIMESTAMP '2024-01-01 12:00:00', 'Timestamp(Second, None)') AS mixed;
SELECT arrow_cast(TIMESTAMP '2024-01-01 00:00:00', 'Timestamp(Second, Some("UTC"))') - arrow_cast(TIMESTAMP '2024-01-01 00:00:00', 'Timestamp(Second, Some("+05:00"))') AS across_zones;
SELECT DATE '2024-01-02' - DATE '2023-01-01' AS days, arrow_typeof(DATE '2024-01-02' - DATE '2023-01-01') AS t;
SELECT TIMESTAMP '2024-01-01 00:00:00' + arrow_cast(90, 'Duration(Second)') AS a, arrow_cast(90, 'Duration(Second)') + arrow_cast(10, 'Duration(Second)') AS b,
       arrow_cast(TIMESTAMP '2024-01-01 00:00:00', 'Timestamp(Millisecond, None)') - arrow_cast(1500, 'Duration(Millisecond)') AS c;
SELECT arrow_cast(TIME '23:59:59', 'Time32(Second)') + INTERVAL '2 seconds' AS wraps, TIME '10:00:00' - TIME '09:30:00' AS d;
SELECT INTERVAL '1 day' < INTERVAL '25 hours' AS lt, INTERVAL '1 month' = INTERVAL '30 days' AS eq, INTERVAL '1 month' + INTERVAL '1 day' AS s, -INTERVAL '1 hour' AS neg;

-- Comparisons across units and zones
SELECT arrow_cast(TIMESTAMP '2024-01-01 00:00:00', 'Timestamp(Second, Some("UTC"))') = arrow_cast(TIMESTAMP '2024-01-01 05:00:00', 'Timestamp(Second, Some("+05:00"))') AS same_instant,
       arrow_cast(TIMESTAMP '2024-01-01 00:00:00', 'Timestamp(Second, None)') = arrow_cast(TIMESTAMP '2024-01-01 00:00:00', 'Timestamp(Nanosecond, None)') AS units,
       DATE '2024-01-01' < TIMESTAMP '2024-01-01 00:00:01' AS date_vs_ts, DATE '2024-01-01' = arrow_cast(DATE '2024-01-01', 'Date64') AS d32_d64;
SELECT TIME '10:00:00' < TIME '09:30:00' AS lt, arrow_cast(TIME '10:00:00', 'Time64(Microsecond)') < arrow_cast(TIME '10:00:01', 'Time64(Microsecond)') AS t64;
SELECT arrow_cast(TIME '10:00:00', 'Time32(Second)') = arrow_cast(TIME '10:00:00', 'Time32(Millisecond)');

-- A table with a column for every temporal type
CREATE TABLE events AS
SELECT column1 AS id,
       CAST(column2 AS TIMESTAMP) AS ts_ns,
       arrow_cast(CAST(column2 AS TIMESTAMP), 'Timestamp(Second, None)') AS ts_s,
       arrow_cast(CAST(column2 AS TIMESTAMP), 'Timestamp(Millisecond, Some("UTC"))') AS ts_ms_utc,
       arrow_cast(CAST(column2 AS TIMESTAMP), 'Timestamp(Microsecond, Some("+05:00"))') AS ts_us_plus5,
       arrow_cast(CAST(column2 AS TIMESTAMP), 'Timestamp(Nanosecond, Some("America/New_York"))') AS ts_ns_ny,
       CAST(CAST(column2 AS TIMESTAMP) AS DATE) AS d32,
       arrow_cast(CAST(CAST(column2 AS TIMESTAMP) AS DATE), 'Date64') AS d64,
       arrow_cast(CAST(CAST(column2 AS TIMESTAMP) AS TIME), 'Time32(Second)') AS t32_s,
       arrow_cast(CAST(CAST(column2 AS TIMESTAMP) AS TIME), 'Time32(Millisecond)') AS t32_ms,
       arrow_cast(CAST(CAST(column2 AS TIMESTAMP) AS TIME), 'Time64(Microsecond)') AS t64_us,
       CAST(CAST(column2 AS TIMESTAMP) AS TIME) AS t64_ns,
       arrow_cast(column3, 'Duration(Second)') AS dur_s,
       arrow_cast(column3 * 1000, 'Duration(Millisecond)') AS dur_ms,
       arrow_cast(column3, 'Duration(Microsecond)') AS dur_us,
       arrow_cast(column3, 'Duration(Nanosecond)') AS dur_ns,
       arrow_cast(column4, 'Interval(MonthDayNano)') AS iv_mdn,
       arrow_cast(column5, 'Interval(YearMonth)') AS iv_ym,
       arrow_cast(column6, 'Interval(DayTime)') AS iv_dt,
       column7 AS grp
FROM (VALUES
  (1, '2024-01-01 00:00:00.123456789', 60, '1 month 2 days', '1 year', '1 day 1 hour', 'a'),
  (2, '2024-02-29 23:59:59.999', 3600, '3 hours', '2 months', '2 days', 'a'),
  (3, '2024-03-10 07:30:00', -5, '-1 day', '-1 month', '12 hours', 'b'),
  (4, '1999-12-31 23:59:59', 86400, '1 year 1 nanosecond', '10 years', '1 minute', 'b'),
  (5, '1970-01-01 00:00:00', 0, '0 seconds', '0 months', '0 days', 'c'),
  (6, '2024-01-01 00:00:00.123456789', 60, '1 month 2 days', '1 year', '1 day 1 hour', 'c'),
  (7, NULL, NULL, NULL, NULL, NULL, 'c'),
  (8, '1969-07-20 20:17:40', 1, '1 day', '1 month', '1 second', 'd')
) AS v;
SELECT * FROM events;
SELECT arrow_typeof(ts_ns), arrow_typeof(ts_s), arrow_typeof(ts_ms_utc), arrow_typeof(ts_us_plus5), arrow_typeof(ts_ns_ny),
       arrow_typeof(d32), arrow_typeof(d64), arrow_typeof(t32_s), arrow_typeof(t32_ms), arrow_typeof(t64_us), arrow_typeof(t64_ns) FROM events LIMIT 1;
SELECT arrow_typeof(dur_s), arrow_typeof(dur_ms), arrow_typeof(dur_us), arrow_typeof(dur_ns), arrow_typeof(iv_mdn), arrow_typeof(iv_ym), arrow_typeof(iv_dt) FROM events LIMIT 1;
SELECT id, ts_ns, ts_ms_utc, ts_ns_ny FROM events ORDER BY ts_ns NULLS FIRST, id;
SELECT id, d32, d64, t32_s, t64_ns FROM events ORDER BY t64_ns DESC NULLS LAST, id;
SELECT id, dur_s, dur_ns, iv_mdn FROM events ORDER BY dur_s, id;
SELECT id, iv_ym, iv_dt FROM events ORDER BY id;
SELECT id, ts_s FROM events WHERE ts_s > TIMESTAMP '2024-01-01 00:00:00' ORDER BY id;
SELECT id FROM events WHERE ts_ms_utc = arrow_cast(TIMESTAMP '2024-01-01 05:00:00.123', 'Timestamp(Millisecond, Some("+05:00"))') ORDER BY id;
SELECT id FROM events WHERE d32 BETWEEN DATE '1999-01-01' AND DATE '2024-02-29' ORDER BY id;
SELECT id FROM events WHERE t32_s < arrow_cast(TIME '01:00:00', 'Time32(Second)') ORDER BY id;
SELECT id FROM events WHERE t32_s < TIME '01:00:00';
SELECT id FROM events WHERE dur_s > arrow_cast(59, 'Duration(Second)') ORDER BY id;
SELECT id, ts_ns + iv_mdn AS plus_mdn, d32 + iv_ym AS plus_ym, ts_s + iv_dt AS plus_dt, ts_ns + dur_s AS plus_dur FROM events;
SELECT id, ts_ns - ts_s AS sub_units, ts_ms_utc - arrow_cast(ts_us_plus5, 'Timestamp(Millisecond, Some("UTC"))') AS sub_zones, d32 - DATE '1970-01-01' AS days FROM events;
SELECT ts_ms_utc - ts_us_plus5 FROM events;
SELECT id, dur_s + dur_s AS twice, dur_ms - dur_s AS diff, arrow_typeof(dur_ms - dur_s) AS t FROM events WHERE id < 3;
SELECT id, date_trunc('month', ts_ns) AS m, date_trunc('day', ts_ns_ny) AS ny, date_trunc('hour', ts_us_plus5) AS h5, date_trunc('week', d32) AS w FROM events;
SELECT id, extract(year FROM ts_ns) AS y, extract(hour FROM ts_ns_ny) AS ny_hour, extract(hour FROM ts_us_plus5) AS plus5_hour,
       extract(dow FROM d64) AS dow, extract(second FROM t32_ms) AS s, extract(epoch FROM ts_s) AS e FROM events;
SELECT id, CAST(ts_ns_ny AS VARCHAR) AS ny, CAST(ts_us_plus5 AS VARCHAR) AS p5, CAST(d64 AS VARCHAR) AS d, CAST(t32_ms AS VARCHAR) AS t FROM events;
SELECT id, CAST(ts_ns AS BIGINT) AS ns, CAST(ts_s AS BIGINT) AS s, CAST(d32 AS INT) AS days, CAST(dur_s AS BIGINT) AS secs FROM events;
SELECT id, to_char(ts_ns, '%Y-%m-%d %H:%M:%S%.3f') AS formatted, to_unixtime(ts_ms_utc) AS unix FROM events;
SELECT id, to_timestamp(CAST(ts_s AS BIGINT)) AS round_trip, date_bin(INTERVAL '1 hour', ts_ns) AS bin FROM events;

-- Aggregates, GROUP BY and joins on temporal columns
SELECT min(ts_ns), max(ts_ns), min(d32), max(d64), min(t64_us), max(t32_s), min(dur_s), max(dur_ns), count(ts_ns_ny) FROM events;
SELECT min(ts_ms_utc) AS mn_utc, max(ts_us_plus5) AS mx_plus5, min(ts_ns_ny) AS mn_ny, max(iv_mdn) AS mx_iv FROM events;
SELECT sum(dur_s) AS total, avg(dur_s) AS average FROM events;
SELECT grp, min(ts_s) AS first, max(ts_s) AS last, count(DISTINCT d32) AS days, max(dur_s) AS longest FROM events GROUP BY grp ORDER BY grp;
SELECT ts_ns, count(*) AS n FROM events GROUP BY ts_ns;
SELECT date_trunc('year', ts_ms_utc) AS y, count(*) AS n FROM events GROUP BY 1 ORDER BY 1 NULLS LAST;
SELECT d64, t32_ms, count(*) AS n FROM events GROUP BY d64, t32_ms;
SELECT ts_ns_ny, ts_us_plus5, count(*) AS n FROM events GROUP BY ts_ns_ny, ts_us_plus5;
SELECT iv_mdn, iv_ym, iv_dt, count(*) AS n FROM events GROUP BY iv_mdn, iv_ym, iv_dt;
SELECT dur_ms, count(*) AS n FROM events GROUP BY dur_ms ORDER BY dur_ms NULLS FIRST;
SELECT DISTINCT d32 FROM events;
SELECT a.id AS a_id, b.id AS b_id FROM events a JOIN events b ON a.ts_ns = b.ts_ns AND a.id < b.id ORDER BY a_id, b_id;
SELECT a.id AS a_id, b.id AS b_id FROM events a JOIN events b ON a.ts_ms_utc = b.ts_ns_ny AND a.id <> b.id ORDER BY a_id, b_id;
SELECT a.id AS a_id, b.id AS b_id FROM events a JOIN events b ON a.d32 = b.d64 WHERE a.id < b.id ORDER BY a_id, b_id;
SELECT a.id, count(b.id) AS later FROM events a LEFT JOIN events b ON b.ts_s > a.ts_s GROUP BY a.id ORDER BY a.id;

-- TPC-H dates
SELECT arrow_typeof(l_shipdate), arrow_typeof(o_orderdate) FROM lineitem JOIN orders ON l_orderkey = o_orderkey LIMIT 1;
SELECT min(l_shipdate) AS first_ship, max(l_receiptdate) AS last_receipt, min(o_orderdate) AS first_order FROM lineitem JOIN orders ON l_orderkey = o_orderkey;
SELECT extract(year FROM o_orderdate) AS y, count(*) AS n, sum(o_totalprice) AS total FROM orders GROUP BY 1 ORDER BY 1;
SELECT date_trunc('quarter', o_orderdate) AS q, count(*) AS n FROM orders WHERE o_orderdate >= DATE '1997-01-01' GROUP BY 1 ORDER BY 1;
SELECT l_shipmode, avg(l_receiptdate - l_shipdate) AS avg_transit, max(l_receiptdate - l_commitdate) AS worst_delay FROM lineitem GROUP BY l_shipmode ORDER BY l_shipmode;
SELECT count(*) AS n FROM lineitem WHERE l_shipdate BETWEEN DATE '1995-01-01' AND DATE '1995-01-01' + INTERVAL '1 month';
SELECT o_orderdate + INTERVAL '1 year 2 months' AS shifted, arrow_cast(o_orderdate, 'Date64') AS d64, CAST(o_orderdate AS TIMESTAMP) AS ts,
       arrow_cast(CAST(o_orderdate AS TIMESTAMP), 'Timestamp(Second, Some("America/New_York"))') AS ny
FROM orders WHERE o_orderkey IN (1, 2, 3) ORDER BY o_orderkey;
SELECT arrow_cast(l_shipdate, 'Date64') AS d, count(*) AS n FROM lineitem WHERE l_shipdate < DATE '1992-01-10' GROUP BY 1 ORDER BY 1;
SELECT date_part('dow', l_shipdate) AS dow, count(*) AS n FROM lineitem GROUP BY 1 ORDER BY 1;
SELECT o.o_orderkey, o.o_orderdate, l.l_shipdate - o.o_orderdate AS days_to_ship FROM orders o JOIN lineitem l ON o.o_orderkey = l.l_orderkey
WHERE o.o_orderkey < 5 ORDER BY o.o_orderkey, l.l_linenumber;
SELECT e.id, count(o.o_orderkey) AS orders_that_day FROM events e LEFT JOIN orders o ON e.d32 - INTERVAL '28 years' = o.o_orderdate GROUP BY e.id ORDER BY e.id;

-- The session time zone applies to zone-less strings cast to TIMESTAMP WITH TIME ZONE
SET datafusion.execution.time_zone = '+05:00';
SELECT TIMESTAMPTZ '2024-01-01 12:00:00' AS a, arrow_typeof(TIMESTAMPTZ '2024-01-01 12:00:00') AS t;
SELECT CAST('2024-01-01 12:00:00' AS TIMESTAMP WITH TIME ZONE) AS a, to_timestamp('2024-01-01 12:00:00') AS b;
CREATE TABLE zoned AS SELECT column1 AS id, CAST(column2 AS TIMESTAMP WITH TIME ZONE) AS ts FROM (VALUES (1, '2024-01-01 12:00:00'), (2, '2024-06-01 23:30:00'), (3, '2024-06-01 23:30:00+00:00')) v;
SELECT id, ts, arrow_typeof(ts) AS t, extract(hour FROM ts) AS h, date_trunc('day', ts) AS d, CAST(ts AS DATE) AS day FROM zoned ORDER BY id;
SELECT z.id, count(e.id) AS n FROM zoned z LEFT JOIN events e ON CAST(z.ts AS DATE) = e.d32 GROUP BY z.id ORDER BY z.id;
SELECT id, to_timestamp(CAST(ts_s AS BIGINT)) AS ts, CAST(CAST(ts_ns AS VARCHAR) AS TIMESTAMP WITH TIME ZONE) AS zoned FROM events ORDER BY id;
