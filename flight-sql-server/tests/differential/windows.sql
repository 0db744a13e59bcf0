-- Window functions: ranking (row_number, rank, dense_rank, percent_rank, cume_dist, ntile),
-- navigation (lag/lead with offsets and defaults, first_value/last_value/nth_value with and
-- without IGNORE NULLS), aggregates OVER () and OVER (PARTITION BY ... ORDER BY ...), ROWS,
-- RANGE and GROUPS frames, FILTER clauses on window aggregates (FILTER (WHERE NULL) too),
-- named WINDOW clauses, several windows with different partitions in one query, and windows
-- over the TPC-H tables. Memory tables carry NULLs and ties in both partition and order keys.
-- Where a window's answer depends on the order of tied rows, the window ORDER BY ends with a
-- unique key; every outer ORDER BY is total.

CREATE TABLE w (id INT, grp VARCHAR, v INT, f DOUBLE, d DECIMAL(10, 2), s VARCHAR) AS VALUES
  (1, 'a', 10, 1.5, 1.10, 'x'),
  (2, 'a', 20, NULL, 2.20, NULL),
  (3, 'a', 20, 2.5, NULL, 'y'),
  (4, 'a', NULL, 3.5, 4.40, 'z'),
  (5, 'b', 5, -1.0, 5.50, NULL),
  (6, 'b', NULL, NULL, NULL, NULL),
  (7, 'b', 5, 0.0, 7.70, 'w'),
  (8, 'b', 15, 8.25, 8.80, 'v'),
  (9, NULL, 30, 9.0, 9.90, 'u'),
  (10, NULL, NULL, 10.0, 10.00, 't'),
  (11, 'c', 7, 11.0, 11.11, 's'),
  (12, 'a', 10, 12.5, 12.12, 'r');

CREATE TABLE nulls_only (id INT, v INT) AS VALUES (1, NULL), (2, NULL), (3, NULL);

CREATE TABLE empty_w (id INT, v INT);

-- One non-null value among NULLs: IGNORE NULLS over an unordered window is deterministic.
CREATE TABLE one_value (id INT, v INT) AS VALUES (1, NULL), (2, 42), (3, NULL), (4, NULL);

-- Ranking functions

SELECT id, grp, v, row_number() OVER (ORDER BY id) AS rn FROM w ORDER BY id;

SELECT id, grp, v, row_number() OVER (PARTITION BY grp ORDER BY v, id) AS rn FROM w ORDER BY id;

SELECT id, grp, v, row_number() OVER (PARTITION BY grp ORDER BY v DESC NULLS LAST, id DESC) AS rn FROM w ORDER BY id;

SELECT id, v, rank() OVER (ORDER BY v) AS r, dense_rank() OVER (ORDER BY v) AS dr FROM w ORDER BY id;

SELECT id, v, rank() OVER (ORDER BY v DESC) AS r, dense_rank() OVER (ORDER BY v DESC) AS dr FROM w ORDER BY id;

SELECT id, v, rank() OVER (ORDER BY v NULLS FIRST) AS r, dense_rank() OVER (ORDER BY v ASC NULLS FIRST) AS dr FROM w ORDER BY id;

SELECT id, grp, v, rank() OVER (PARTITION BY grp ORDER BY v) AS r, dense_rank() OVER (PARTITION BY grp ORDER BY v) AS dr FROM w ORDER BY id;

SELECT id, v, percent_rank() OVER (ORDER BY v) AS pr, cume_dist() OVER (ORDER BY v) AS cd FROM w ORDER BY id;

SELECT id, grp, v, percent_rank() OVER (PARTITION BY grp ORDER BY v) AS pr, cume_dist() OVER (PARTITION BY grp ORDER BY v) AS cd FROM w ORDER BY id;

SELECT id, ntile(3) OVER (ORDER BY id) AS t3, ntile(5) OVER (ORDER BY id) AS t5, ntile(20) OVER (ORDER BY id) AS t20 FROM w ORDER BY id;

SELECT id, grp, ntile(2) OVER (PARTITION BY grp ORDER BY id) AS t2 FROM w ORDER BY id;

SELECT id, ntile(1) OVER (ORDER BY id DESC) AS t1 FROM w ORDER BY id;

SELECT id, rank() OVER () AS r, dense_rank() OVER () AS dr, percent_rank() OVER () AS pr, cume_dist() OVER () AS cd FROM w ORDER BY id;

SELECT id, row_number() OVER (ORDER BY grp NULLS FIRST, id) AS rn FROM w ORDER BY id;

SELECT id, rank() OVER (ORDER BY grp, v) AS r FROM w ORDER BY id;

SELECT id, rank() OVER (ORDER BY f) AS rf, rank() OVER (ORDER BY d DESC) AS rd, rank() OVER (ORDER BY s) AS rs FROM w ORDER BY id;

SELECT * FROM (SELECT id, grp, v, row_number() OVER (PARTITION BY grp ORDER BY v DESC, id) AS rn FROM w) t WHERE rn <= 2 ORDER BY grp, rn;

SELECT * FROM (SELECT id, grp, v, rank() OVER (PARTITION BY grp ORDER BY v DESC) AS r FROM w) t WHERE r = 1 ORDER BY id;

SELECT grp, count(*) AS n FROM (SELECT grp, dense_rank() OVER (PARTITION BY grp ORDER BY v) AS dr FROM w) t WHERE dr = 1 GROUP BY grp ORDER BY grp NULLS FIRST;

SELECT id, row_number() OVER (ORDER BY id) AS rn FROM empty_w;

SELECT id, rank() OVER (ORDER BY v) AS r, cume_dist() OVER (ORDER BY v) AS cd FROM nulls_only ORDER BY id;

-- Navigation: lag, lead, first_value, last_value, nth_value

SELECT id, v, lag(v) OVER (ORDER BY id) AS prev, lead(v) OVER (ORDER BY id) AS next FROM w ORDER BY id;

SELECT id, v, lag(v, 2) OVER (ORDER BY id) AS prev2, lead(v, 3) OVER (ORDER BY id) AS next3 FROM w ORDER BY id;

SELECT id, v, lag(v, 1, -1) OVER (ORDER BY id) AS prev, lead(v, 1, -1) OVER (ORDER BY id) AS next FROM w ORDER BY id;

SELECT id, grp, v, lag(v, 1, 0) OVER (PARTITION BY grp ORDER BY id) AS prev, lead(v, 2, 99) OVER (PARTITION BY grp ORDER BY id) AS next2 FROM w ORDER BY id;

SELECT id, s, lag(s, 1, 'none') OVER (ORDER BY id) AS prev_s, lead(s) OVER (ORDER BY id DESC) AS next_desc FROM w ORDER BY id;

SELECT id, f, lag(f, 0) OVER (ORDER BY id) AS same, lead(f, 0) OVER (ORDER BY id) AS same2 FROM w ORDER BY id;

SELECT id, d, lag(d, 1, 0.00) OVER (ORDER BY id) AS prev_d, d - lag(d) OVER (ORDER BY id) AS delta FROM w ORDER BY id;

SELECT id, v, lag(v, 20) OVER (ORDER BY id) AS far, lead(v, 20, 7) OVER (ORDER BY id) AS far_default FROM w ORDER BY id;

SELECT id, v, lag(v) IGNORE NULLS OVER (ORDER BY id) AS prev_nn, lead(v) IGNORE NULLS OVER (ORDER BY id) AS next_nn FROM w ORDER BY id;

SELECT id, v, first_value(v) OVER (ORDER BY id) AS fv, last_value(v) OVER (ORDER BY id) AS lv FROM w ORDER BY id;

SELECT id, grp, v, first_value(v) OVER (PARTITION BY grp ORDER BY id) AS fv, last_value(v) OVER (PARTITION BY grp ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS lv FROM w ORDER BY id;

SELECT id, grp, v, first_value(v) IGNORE NULLS OVER (PARTITION BY grp ORDER BY id) AS fv, last_value(v) IGNORE NULLS OVER (PARTITION BY grp ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS lv FROM w ORDER BY id;

SELECT id, v, first_value(v) RESPECT NULLS OVER (ORDER BY id DESC) AS fv FROM w ORDER BY id;

SELECT id, f, first_value(f) IGNORE NULLS OVER (ORDER BY id ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING) AS fv_next, last_value(f) IGNORE NULLS OVER (ORDER BY id ROWS BETWEEN 3 PRECEDING AND 1 PRECEDING) AS lv_prev FROM w ORDER BY id;

SELECT id, v, nth_value(v, 2) OVER (ORDER BY id) AS n2, nth_value(v, 4) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS n4 FROM w ORDER BY id;

SELECT id, grp, v, nth_value(v, 2) OVER (PARTITION BY grp ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS n2 FROM w ORDER BY id;

SELECT id, grp, v, nth_value(v, 2) IGNORE NULLS OVER (PARTITION BY grp ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS n2 FROM w ORDER BY id;

SELECT id, s, nth_value(s, 1) OVER (ORDER BY id) AS n1, nth_value(s, 3) IGNORE NULLS OVER (ORDER BY id) AS n3 FROM w ORDER BY id;

SELECT id, v, first_value(v) IGNORE NULLS OVER () AS fv, last_value(v) IGNORE NULLS OVER () AS lv, nth_value(v, 1) IGNORE NULLS OVER () AS n1 FROM one_value ORDER BY id;

SELECT id, v, first_value(v) OVER () AS fv, max(v) OVER () AS mx FROM w WHERE grp = 'c' ORDER BY id;

SELECT id, v, first_value(v) IGNORE NULLS OVER () AS fv, last_value(v) IGNORE NULLS OVER () AS lv FROM nulls_only ORDER BY id;

SELECT id, v, first_value(v) IGNORE NULLS OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS fv, last_value(v) IGNORE NULLS OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS lv FROM w ORDER BY id;

SELECT id, f, first_value(f) IGNORE NULLS OVER (ORDER BY id RANGE BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS fv FROM w ORDER BY id;

SELECT id, d, last_value(d) OVER (ORDER BY id GROUPS BETWEEN CURRENT ROW AND 1 FOLLOWING) AS lv FROM w ORDER BY id;

-- Aggregates as window functions

SELECT id, v, sum(v) OVER () AS total, count(v) OVER () AS cnt, count(*) OVER () AS cnt_all, avg(v) OVER () AS mean, min(v) OVER () AS lo, max(v) OVER () AS hi FROM w ORDER BY id;

SELECT id, grp, v, sum(v) OVER (PARTITION BY grp) AS total, count(*) OVER (PARTITION BY grp) AS n FROM w ORDER BY id;

SELECT id, grp, v, sum(v) OVER (PARTITION BY grp ORDER BY id) AS running, avg(v) OVER (PARTITION BY grp ORDER BY id) AS running_avg FROM w ORDER BY id;

SELECT id, v, sum(v) OVER (ORDER BY v) AS running_by_v, count(*) OVER (ORDER BY v) AS cnt_by_v FROM w ORDER BY id;

SELECT id, f, sum(f) OVER (ORDER BY id) AS sf, avg(f) OVER (ORDER BY id) AS af, min(f) OVER (ORDER BY id) AS mf, max(f) OVER (ORDER BY id) AS xf FROM w ORDER BY id;

SELECT id, d, sum(d) OVER (ORDER BY id) AS sd, avg(d) OVER (PARTITION BY grp) AS ad FROM w ORDER BY id;

SELECT id, grp, s, min(s) OVER (PARTITION BY grp) AS min_s, max(s) OVER (PARTITION BY grp ORDER BY id) AS max_s FROM w ORDER BY id;

SELECT id, v, stddev(v) OVER () AS sd, var_samp(v) OVER () AS var, stddev_pop(v) OVER () AS sdp, var_pop(v) OVER () AS vp FROM w ORDER BY id;

SELECT id, grp, v, bool_and(v > 5) OVER (PARTITION BY grp) AS all_big, bool_or(v > 15) OVER (PARTITION BY grp) AS any_big FROM w ORDER BY id;

SELECT id, grp, v, bit_and(v) OVER (PARTITION BY grp) AS ba, bit_or(v) OVER (PARTITION BY grp) AS bo, bit_xor(v) OVER (PARTITION BY grp) AS bx FROM w ORDER BY id;

SELECT id, v, sum(v) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) - v AS neighbours FROM w ORDER BY id;

SELECT id, v, v * 100 / sum(v) OVER () AS pct, v - avg(v) OVER (PARTITION BY grp) AS dev FROM w ORDER BY id;

SELECT grp, sum(v) AS total, sum(sum(v)) OVER () AS grand, rank() OVER (ORDER BY sum(v) DESC NULLS LAST) AS r FROM w GROUP BY grp ORDER BY grp NULLS FIRST;

SELECT grp, count(*) AS n, sum(count(*)) OVER (ORDER BY grp NULLS FIRST) AS running_n FROM w GROUP BY grp ORDER BY grp NULLS FIRST;

SELECT id, sum(v) OVER (ORDER BY id) AS s, count(v) OVER (ORDER BY id) AS c FROM nulls_only ORDER BY id;

SELECT id, array_agg(v) OVER (PARTITION BY grp ORDER BY id) AS vs FROM w ORDER BY id;

SELECT id, string_agg(s, ',') OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS so_far FROM w ORDER BY id;

-- A sliding frame needs retract_batch, which string_agg lacks: DataFusion's error is the answer.
SELECT id, string_agg(s, ',') OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS recent FROM w ORDER BY id;

SELECT id, count(DISTINCT v) OVER (PARTITION BY grp) AS distinct_v FROM w ORDER BY id;

SELECT id, grp, v, median(v) OVER (PARTITION BY grp) AS med FROM w ORDER BY id;

SELECT id, corr(v, f) OVER () AS c, covar_samp(v, f) OVER () AS cv FROM w ORDER BY id;

-- ROWS frames

SELECT id, v, sum(v) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS s FROM w ORDER BY id;

SELECT id, v, sum(v) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS s FROM w ORDER BY id;

SELECT id, v, sum(v) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS s, count(v) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING) AS c FROM w ORDER BY id;

SELECT id, v, sum(v) OVER (ORDER BY id ROWS BETWEEN 3 PRECEDING AND 1 PRECEDING) AS s FROM w ORDER BY id;

SELECT id, v, sum(v) OVER (ORDER BY id ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING) AS s FROM w ORDER BY id;

SELECT id, v, sum(v) OVER (ORDER BY id ROWS 2 PRECEDING) AS s, max(v) OVER (ORDER BY id ROWS UNBOUNDED PRECEDING) AS m FROM w ORDER BY id;

SELECT id, v, sum(v) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS s FROM w ORDER BY id;

SELECT id, v, count(*) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND CURRENT ROW) AS c FROM w ORDER BY id;

SELECT id, grp, v, avg(v) OVER (PARTITION BY grp ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS moving_avg FROM w ORDER BY id;

SELECT id, f, min(f) OVER (ORDER BY id DESC ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS lo, max(f) OVER (ORDER BY id DESC ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS hi FROM w ORDER BY id;

SELECT id, v, sum(v) OVER (ORDER BY id ROWS BETWEEN 100 PRECEDING AND 100 FOLLOWING) AS s FROM w ORDER BY id;

SELECT id, v, sum(v) OVER (ORDER BY id ROWS BETWEEN 5 FOLLOWING AND UNBOUNDED FOLLOWING) AS s FROM w ORDER BY id;

SELECT id, v, sum(v) OVER (ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 4 PRECEDING) AS s FROM w ORDER BY id;

SELECT id, v, sum(v) OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS s FROM w ORDER BY id;

-- RANGE frames (peers share frames; numeric offsets on the order key)

SELECT id, v, sum(v) OVER (ORDER BY v RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS s FROM w ORDER BY id;

SELECT id, v, sum(v) OVER (ORDER BY v RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) AS s FROM w ORDER BY id;

SELECT id, v, count(*) OVER (ORDER BY v RANGE BETWEEN 5 PRECEDING AND 5 FOLLOWING) AS c, sum(v) OVER (ORDER BY v RANGE BETWEEN 5 PRECEDING AND 5 FOLLOWING) AS s FROM w ORDER BY id;

SELECT id, v, count(*) OVER (ORDER BY v DESC RANGE BETWEEN 5 PRECEDING AND CURRENT ROW) AS c FROM w ORDER BY id;

SELECT id, v, count(*) OVER (ORDER BY v RANGE BETWEEN CURRENT ROW AND CURRENT ROW) AS peers FROM w ORDER BY id;

-- NULL order keys are left out here: for NULL rows DataFusion's answer to this frame depends on
-- where batches end (3 with one batch, 2 with batches of two rows), so it is not deterministic.
SELECT id, v, count(*) OVER (ORDER BY v NULLS FIRST RANGE BETWEEN 10 PRECEDING AND 1 PRECEDING) AS c FROM w WHERE v IS NOT NULL ORDER BY id;

SELECT id, f, sum(f) OVER (ORDER BY f RANGE BETWEEN 1.5 PRECEDING AND 1.5 FOLLOWING) AS s FROM w ORDER BY id;

SELECT id, d, count(*) OVER (ORDER BY d RANGE BETWEEN 2.5 PRECEDING AND CURRENT ROW) AS c FROM w ORDER BY id;

SELECT id, v, max(v) OVER (ORDER BY v RANGE BETWEEN 1 FOLLOWING AND 10 FOLLOWING) AS nxt FROM w ORDER BY id;

SELECT id, grp, v, sum(v) OVER (PARTITION BY grp ORDER BY v RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS s FROM w ORDER BY id;

SELECT id, v, sum(v) OVER (ORDER BY v RANGE 10 PRECEDING) AS s FROM w ORDER BY id;

-- GROUPS frames (offsets count peer groups)

SELECT id, v, sum(v) OVER (ORDER BY v GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS s, count(*) OVER (ORDER BY v GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS c FROM w ORDER BY id;

SELECT id, v, count(*) OVER (ORDER BY v GROUPS BETWEEN CURRENT ROW AND CURRENT ROW) AS peers FROM w ORDER BY id;

SELECT id, v, count(*) OVER (ORDER BY v GROUPS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before FROM w ORDER BY id;

SELECT id, v, count(*) OVER (ORDER BY v DESC GROUPS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS after FROM w ORDER BY id;

SELECT id, grp, v, sum(v) OVER (PARTITION BY grp ORDER BY v GROUPS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s FROM w ORDER BY id;

SELECT id, s, count(*) OVER (ORDER BY s GROUPS 1 PRECEDING) AS c FROM w ORDER BY id;

-- FILTER on window aggregates

SELECT id, count(*) FILTER (WHERE v > 10) OVER () AS big, count(*) OVER () AS all_rows FROM w ORDER BY id;

SELECT id, count(*) FILTER (WHERE NULL) OVER () AS none FROM w ORDER BY id;

SELECT id, count(v) FILTER (WHERE NULL) OVER (PARTITION BY grp) AS none, sum(v) FILTER (WHERE NULL) OVER (ORDER BY id) AS none_sum FROM w ORDER BY id;

SELECT id, count(*) FILTER (WHERE false) OVER (ORDER BY id) AS f, count(*) FILTER (WHERE true) OVER (ORDER BY id) AS t FROM w ORDER BY id;

SELECT id, grp, count(*) FILTER (WHERE v IS NULL) OVER (PARTITION BY grp ORDER BY id) AS nulls_so_far FROM w ORDER BY id;

SELECT id, sum(v) FILTER (WHERE grp = 'a') OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s FROM w ORDER BY id;

SELECT id, avg(f) FILTER (WHERE f > 0) OVER (PARTITION BY grp) AS pos_avg, max(s) FILTER (WHERE id % 2 = 0) OVER () AS even_max FROM w ORDER BY id;

SELECT id, count(*) FILTER (WHERE v > NULL) OVER () AS c FROM w ORDER BY id;

SELECT id, count(*) FILTER (WHERE v BETWEEN 5 AND 20) OVER (ORDER BY v RANGE BETWEEN 5 PRECEDING AND 5 FOLLOWING) AS c FROM w ORDER BY id;

SELECT grp, count(*) FILTER (WHERE v > 5) AS agg_filter, sum(count(*) FILTER (WHERE v > 5)) OVER () AS total FROM w GROUP BY grp ORDER BY grp NULLS FIRST;

-- Named windows

SELECT id, sum(v) OVER win AS s, count(*) OVER win AS c FROM w WINDOW win AS (PARTITION BY grp ORDER BY id) ORDER BY id;

SELECT id, row_number() OVER w1 AS rn, rank() OVER w2 AS r FROM w WINDOW w1 AS (ORDER BY id), w2 AS (PARTITION BY grp ORDER BY v) ORDER BY id;

SELECT id, sum(v) OVER (win ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s FROM w WINDOW win AS (PARTITION BY grp ORDER BY id) ORDER BY id;

SELECT id, lag(v) OVER win AS prev, lead(v) OVER win AS next, first_value(v) OVER win AS fv FROM w WINDOW win AS (ORDER BY id DESC) ORDER BY id;

-- Several windows with different partitions in one query

SELECT id, grp, v, sum(v) OVER (PARTITION BY grp) AS by_grp, sum(v) OVER (PARTITION BY v) AS by_v, sum(v) OVER () AS total, row_number() OVER (ORDER BY id DESC) AS rn_desc FROM w ORDER BY id;

SELECT id, count(*) OVER (PARTITION BY grp) AS cg, count(*) OVER (PARTITION BY id % 2) AS cp, count(*) OVER (PARTITION BY grp, id % 2) AS cgp, rank() OVER (PARTITION BY id % 3 ORDER BY v DESC) AS r3 FROM w ORDER BY id;

SELECT id, first_value(id) OVER (PARTITION BY grp ORDER BY id) AS first_in_grp, last_value(id) OVER (PARTITION BY v IS NULL ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last_in_nullness FROM w ORDER BY id;

SELECT id, grp, sum(v) OVER (PARTITION BY grp ORDER BY id) AS running, sum(v) OVER (ORDER BY id) AS running_all, lag(id) OVER (PARTITION BY s IS NULL ORDER BY id) AS prev_same_nullness FROM w ORDER BY id;

SELECT id, sum(v) OVER (PARTITION BY upper(grp) ORDER BY id) AS s, count(*) OVER (PARTITION BY coalesce(grp, 'none')) AS c FROM w ORDER BY id;

-- Windows in expressions, subqueries, CTEs

SELECT id, v, CASE WHEN v > avg(v) OVER () THEN 'above' WHEN v IS NULL THEN 'none' ELSE 'below' END AS band FROM w ORDER BY id;

WITH ranked AS (SELECT id, grp, v, dense_rank() OVER (PARTITION BY grp ORDER BY v DESC) AS dr FROM w) SELECT grp, dr, count(*) AS n, sum(v) AS s FROM ranked GROUP BY grp, dr ORDER BY grp NULLS FIRST, dr;

SELECT id, rn FROM (SELECT id, row_number() OVER (ORDER BY v DESC NULLS LAST, id) AS rn FROM w) t WHERE rn BETWEEN 3 AND 6 ORDER BY rn;

SELECT id, running FROM (SELECT id, sum(v) OVER (ORDER BY id) AS running FROM w) t WHERE running > 50 ORDER BY id;

SELECT id, lead(id) OVER (ORDER BY id) - id AS gap FROM w WHERE v IS NOT NULL ORDER BY id;

SELECT w.id, w.v, x.total FROM w JOIN (SELECT grp, sum(v) OVER (PARTITION BY grp) AS total, row_number() OVER (PARTITION BY grp ORDER BY id) AS rn FROM w) x ON w.grp = x.grp AND x.rn = 1 ORDER BY w.id;

SELECT id, row_number() OVER (ORDER BY id) AS rn FROM w ORDER BY id LIMIT 4;

SELECT id, sum(v) OVER (ORDER BY id) AS s FROM w ORDER BY id DESC LIMIT 3 OFFSET 2;

SELECT DISTINCT grp, count(*) OVER (PARTITION BY grp) AS n FROM w ORDER BY grp NULLS LAST;

SELECT id, row_number() OVER (ORDER BY id) AS rn FROM (SELECT id FROM w WHERE grp = 'a' UNION ALL SELECT id + 100 FROM w WHERE grp = 'b') u ORDER BY id;

SELECT arrow_typeof(row_number() OVER ()) AS rn_t, arrow_typeof(rank() OVER ()) AS r_t, arrow_typeof(percent_rank() OVER ()) AS pr_t, arrow_typeof(ntile(2) OVER ()) AS nt_t FROM w LIMIT 1;

-- TPC-H: per-customer running totals and ranks over orders

SELECT o_custkey, o_orderkey, o_orderdate, o_totalprice, sum(o_totalprice) OVER (PARTITION BY o_custkey ORDER BY o_orderdate, o_orderkey) AS running FROM orders WHERE o_custkey <= 20 ORDER BY o_custkey, o_orderdate, o_orderkey;

SELECT o_custkey, count(*) AS orders, max(running) AS final_running, sum(o_totalprice) AS total FROM (SELECT o_custkey, o_totalprice, sum(o_totalprice) OVER (PARTITION BY o_custkey ORDER BY o_orderdate, o_orderkey) AS running FROM orders) t GROUP BY o_custkey HAVING max(running) <> sum(o_totalprice);

SELECT o_custkey, o_orderkey, row_number() OVER (PARTITION BY o_custkey ORDER BY o_totalprice DESC, o_orderkey) AS rn FROM orders WHERE o_custkey BETWEEN 100 AND 130 ORDER BY o_custkey, rn;

SELECT count(*) AS n, sum(rn) AS sum_rn, max(rn) AS max_rn FROM (SELECT row_number() OVER (PARTITION BY o_custkey ORDER BY o_orderdate, o_orderkey) AS rn FROM orders) t;

SELECT * FROM (SELECT o_custkey, o_orderkey, o_totalprice, rank() OVER (PARTITION BY o_custkey ORDER BY o_totalprice DESC) AS r FROM orders) t WHERE r = 1 AND o_custkey < 200 ORDER BY o_custkey, o_orderkey;

SELECT o_orderpriority, o_orderkey, o_totalprice, dense_rank() OVER (PARTITION BY o_orderpriority ORDER BY o_totalprice DESC) AS dr FROM orders QUALIFY dr <= 3 ORDER BY o_orderpriority, dr, o_orderkey;

SELECT o_custkey, o_orderkey, o_orderdate, lag(o_orderdate) OVER (PARTITION BY o_custkey ORDER BY o_orderdate, o_orderkey) AS prev_date, o_orderdate - lag(o_orderdate) OVER (PARTITION BY o_custkey ORDER BY o_orderdate, o_orderkey) AS gap FROM orders WHERE o_custkey < 15 ORDER BY o_custkey, o_orderdate, o_orderkey;

SELECT o_custkey, o_orderkey, first_value(o_orderkey) OVER (PARTITION BY o_custkey ORDER BY o_orderdate, o_orderkey) AS first_order, last_value(o_orderkey) OVER (PARTITION BY o_custkey ORDER BY o_orderdate, o_orderkey ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS last_order, nth_value(o_orderkey, 2) OVER (PARTITION BY o_custkey ORDER BY o_orderdate, o_orderkey ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS second_order FROM orders WHERE o_custkey BETWEEN 400 AND 420 ORDER BY o_custkey, o_orderkey;

SELECT o_orderdate, daily, sum(daily) OVER (ORDER BY o_orderdate ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS week_total, avg(daily) OVER (ORDER BY o_orderdate ROWS BETWEEN 3 PRECEDING AND 3 FOLLOWING) AS centred FROM (SELECT o_orderdate, sum(o_totalprice) AS daily FROM orders GROUP BY o_orderdate) t WHERE o_orderdate < DATE '1992-03-01' ORDER BY o_orderdate;

SELECT o_orderdate, count(*) OVER (ORDER BY o_orderdate RANGE BETWEEN INTERVAL '3' DAY PRECEDING AND CURRENT ROW) AS c FROM orders WHERE o_custkey = 1000 ORDER BY o_orderdate;

SELECT yr, revenue, revenue - lag(revenue) OVER (ORDER BY yr) AS change, rank() OVER (ORDER BY revenue DESC) AS r FROM (SELECT date_part('year', o_orderdate) AS yr, sum(o_totalprice) AS revenue FROM orders GROUP BY 1) t ORDER BY yr;

SELECT n_name, c_custkey, c_acctbal, rank() OVER (PARTITION BY n_name ORDER BY c_acctbal DESC) AS r FROM customer JOIN nation ON c_nationkey = n_nationkey QUALIFY r <= 2 ORDER BY n_name, r, c_custkey;

SELECT r_name, n_name, nation_total, sum(nation_total) OVER (PARTITION BY r_name) AS region_total, nation_total * 100 / sum(nation_total) OVER (PARTITION BY r_name) AS pct, rank() OVER (PARTITION BY r_name ORDER BY nation_total DESC) AS r FROM (SELECT r_name, n_name, sum(c_acctbal) AS nation_total FROM customer JOIN nation ON c_nationkey = n_nationkey JOIN region ON n_regionkey = r_regionkey GROUP BY r_name, n_name) t ORDER BY r_name, n_name;

SELECT l_orderkey, l_linenumber, l_quantity, sum(l_quantity) OVER (PARTITION BY l_orderkey ORDER BY l_linenumber) AS running_qty, count(*) OVER (PARTITION BY l_orderkey) AS lines FROM lineitem WHERE l_orderkey < 40 ORDER BY l_orderkey, l_linenumber;

SELECT l_returnflag, l_linestatus, count(*) AS n, sum(count(*)) OVER () AS total, rank() OVER (ORDER BY count(*) DESC) AS r FROM lineitem GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus;

SELECT l_shipmode, count(*) FILTER (WHERE l_discount > 0.05) OVER (PARTITION BY l_shipmode) AS discounted, count(*) FILTER (WHERE NULL) OVER (PARTITION BY l_shipmode) AS none, count(*) OVER (PARTITION BY l_shipmode) AS n FROM lineitem WHERE l_orderkey < 200 AND l_linenumber = 1 ORDER BY l_shipmode, discounted LIMIT 5;

SELECT DISTINCT l_shipmode, count(*) FILTER (WHERE l_discount > 0.05) OVER (PARTITION BY l_shipmode) AS discounted, count(*) FILTER (WHERE NULL) OVER (PARTITION BY l_shipmode) AS none, count(*) OVER (PARTITION BY l_shipmode) AS n FROM lineitem ORDER BY l_shipmode;

SELECT p_brand, p_partkey, p_retailprice, percent_rank() OVER (PARTITION BY p_brand ORDER BY p_retailprice) AS pr, cume_dist() OVER (PARTITION BY p_brand ORDER BY p_retailprice) AS cd, ntile(4) OVER (PARTITION BY p_brand ORDER BY p_retailprice, p_partkey) AS quartile FROM part WHERE p_brand IN ('Brand#11', 'Brand#55') ORDER BY p_brand, p_retailprice, p_partkey;

SELECT ps_partkey, ps_suppkey, ps_supplycost, min(ps_supplycost) OVER (PARTITION BY ps_partkey) AS cheapest, ps_supplycost - min(ps_supplycost) OVER (PARTITION BY ps_partkey) AS premium FROM partsupp WHERE ps_partkey <= 25 ORDER BY ps_partkey, ps_suppkey;

SELECT s_nationkey, s_suppkey, s_acctbal, lead(s_suppkey, 1, -1) OVER (PARTITION BY s_nationkey ORDER BY s_acctbal DESC, s_suppkey) AS next_richest FROM supplier ORDER BY s_nationkey, s_acctbal DESC, s_suppkey;

SELECT c_mktsegment, sum(c_acctbal) OVER (PARTITION BY c_mktsegment) AS seg_total, count(*) OVER (PARTITION BY c_mktsegment ORDER BY c_acctbal GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING) AS neighbourhood, c_custkey FROM customer WHERE c_custkey % 50 = 0 ORDER BY c_custkey;

SELECT o_custkey, o_orderkey, sum(o_totalprice) OVER w1 AS cust_running, sum(o_totalprice) OVER w2 AS clerk_running, count(*) OVER (PARTITION BY o_orderstatus) AS per_status FROM orders WHERE o_custkey < 10 WINDOW w1 AS (PARTITION BY o_custkey ORDER BY o_orderkey), w2 AS (PARTITION BY o_clerk ORDER BY o_orderkey) ORDER BY o_orderkey;

SELECT count(*) AS n, sum(cnt) AS s FROM (SELECT count(*) OVER (PARTITION BY o_custkey ORDER BY o_orderdate RANGE BETWEEN INTERVAL '30' DAY PRECEDING AND INTERVAL '30' DAY FOLLOWING) AS cnt FROM orders) t;

SELECT sum(diff) AS total_diff, count(*) AS n FROM (SELECT o_totalprice - lag(o_totalprice, 1, 0) OVER (PARTITION BY o_custkey ORDER BY o_orderkey) AS diff FROM orders) t;

SELECT o_custkey, o_orderkey, o_totalprice, avg(o_totalprice) OVER (PARTITION BY o_custkey ORDER BY o_orderkey ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS moving FROM orders WHERE o_custkey IN (1, 2, 4, 7) ORDER BY o_custkey, o_orderkey;

SELECT o_custkey, o_orderkey FROM (SELECT o_custkey, o_orderkey, row_number() OVER (PARTITION BY o_custkey ORDER BY o_orderdate DESC, o_orderkey DESC) AS rn FROM orders) t WHERE rn = 1 ORDER BY o_custkey LIMIT 25;

SELECT c.c_custkey, c.c_name, t.total, t.r FROM customer c JOIN (SELECT o_custkey, sum(o_totalprice) AS total, rank() OVER (ORDER BY sum(o_totalprice) DESC) AS r FROM orders GROUP BY o_custkey) t ON c.c_custkey = t.o_custkey WHERE t.r <= 10 ORDER BY t.r, c.c_custkey;
