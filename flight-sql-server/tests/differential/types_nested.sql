-- Nested types: List, LargeList and FixedSizeList (make_array, literals, arrow_cast),
-- Struct (named_struct, struct), Map (map, make_map, MAP literals), lists of structs and
-- structs of lists. Array functions, indexing and slicing, struct field access, map
-- lookups, unnest, array_agg, comparisons, GROUP BY and DISTINCT on lists and structs,
-- joins on struct fields, and make_array over a UNION ALL of different integer widths
-- (whose element type must survive the trip through the executors).

-- Literals and their types
SELECT [1, 2, 3] AS l, arrow_typeof([1, 2, 3]) AS t, make_array(1, NULL, 3) AS m, [] AS e, arrow_typeof([]) AS et;
SELECT arrow_cast([1, 2], 'LargeList(Int64)') AS ll, arrow_typeof(arrow_cast([1, 2], 'LargeList(Int64)')) AS t;
SELECT arrow_cast([1, 2], 'FixedSizeList(2, Int64)') AS fl, arrow_typeof(arrow_cast([1, 2], 'FixedSizeList(2, Int64)')) AS t;
SELECT [1.5, 2] AS f, arrow_typeof([1.5, 2]) AS t, [NULL] AS n, arrow_typeof([NULL]) AS nt, [[1, 2], [3]] AS nested, arrow_typeof([[1, 2], [3]]) AS nt2;
SELECT [CAST('1.5' AS DECIMAL(5,2)), CAST('2.25' AS DECIMAL(6,3))] AS d, arrow_typeof([CAST('1.5' AS DECIMAL(5,2)), CAST('2.25' AS DECIMAL(6,3))]) AS t;
SELECT [DATE '2024-01-01'] AS d, [X'01'] AS b, [true, NULL] AS bo, ['a', NULL] AS s, [arrow_cast('x', 'LargeUtf8')] AS ls;
SELECT named_struct('a', 1, 'b', 'x') AS s, arrow_typeof(named_struct('a', 1, 'b', 'x')) AS t, struct(1, 'x') AS s2, arrow_typeof(struct(1, 'x')) AS t2;
SELECT struct(1 AS a, 'x' AS b) AS aliased, named_struct('outer', named_struct('inner', [1, 2])) AS deep, arrow_typeof(named_struct('outer', named_struct('inner', [1, 2]))) AS t;
SELECT map(['a', 'b'], [1, 2]) AS m, arrow_typeof(map(['a', 'b'], [1, 2])) AS t, make_map('k', 1, 'j', 2) AS mm, MAP {'x': 1} AS lit;
SELECT [named_struct('a', 1), named_struct('a', 2)] AS los, arrow_typeof([named_struct('a', 1), named_struct('a', 2)]) AS t;
SELECT map(['a'], [[1, 2]]) AS map_of_lists, [map(['k'], [1])] AS list_of_maps, named_struct('m', make_map('k', 1.5)) AS struct_of_map;
SELECT make_array(arrow_cast(1, 'Int8'), arrow_cast(2, 'Int16')) AS m, arrow_typeof(make_array(arrow_cast(1, 'Int8'), arrow_cast(2, 'Int16'))) AS t;
SELECT make_array(arrow_cast(1, 'UInt8'), arrow_cast(-1, 'Int8')) AS m, arrow_typeof(make_array(arrow_cast(1, 'UInt8'), arrow_cast(-1, 'Int8'))) AS t;

-- Errors
SELECT arrow_cast([1, 2, 3], 'FixedSizeList(2, Int64)');
SELECT [1, 'a'];
SELECT map(['a', 'a'], [1, 2]);
SELECT map(['a', NULL], [1, 2]);
SELECT named_struct('a', 1)['missing'];
SELECT named_struct('a');

-- Access: indexing, slicing, fields, map lookups
SELECT [1, 2, 3][2] AS idx, [1, 2, 3][5] AS oob, [1, 2, 3][2:3] AS sl, array_element([1, 2], 0) AS zero, [1, 2][-1] AS neg, [[1, 2], [3]][1][2] AS deep;
SELECT named_struct('a', 1, 'b', 'x')['b'] AS f, get_field(named_struct('a', 1), 'a') AS g, named_struct('outer', named_struct('inner', [1, 2]))['outer']['inner'][2] AS deep;
SELECT map(['a', 'b'], [1, 2])['a'] AS v, map_keys(map(['a', 'b'], [1, 2])) AS k, map_values(make_map('k', 1)) AS vv,
       map_extract(map(['a'], [1]), 'z') AS missing, cardinality(map(['a', 'b'], [1, 2])) AS c;
SELECT [named_struct('a', 1), named_struct('a', 2)][2]['a'] AS field_of_element, arrow_cast([1, 2], 'LargeList(Int64)')[1] AS large_idx,
       arrow_cast([7, 8], 'FixedSizeList(2, Int64)')[2] AS fixed_idx;

-- Array functions
SELECT array_length([1, 2, 3]) AS len, array_append([1], 2) AS ap, array_prepend(0, [1]) AS pp, array_concat([1], [2, 3]) AS c,
       flatten([[1, 2], [3]]) AS f, cardinality([1, 2]) AS card, array_ndims([[1]]) AS nd, array_dims([[1, 2]]) AS dims;
SELECT array_has([1, 2], 2) AS h, array_has_all([1, 2, 3], [1, 3]) AS ha, array_has_any([1], [2]) AS hy, array_position([1, 2, 3], 3) AS p,
       array_remove([1, 2, 1], 1) AS r, array_distinct([1, 1, 2]) AS d, array_sort([3, 1, 2]) AS s, array_reverse([1, 2]) AS rv;
SELECT array_to_string([1, NULL, 3], ',') AS s, array_to_string([1, NULL, 3], ',', 'N') AS n, array_repeat(7, 3) AS rep, range(3) AS r, generate_series(1, 3) AS g;
SELECT array_union([1, 2], [2, 3]) AS u, array_intersect([1, 2], [2, 3]) AS i, array_except([1, 2], [2]) AS e, array_slice([1, 2, 3, 4], 2, 3) AS sl,
       array_pop_back([1, 2]) AS pb, array_replace([1, 2, 1], 1, 9) AS rp, array_max([1, 5, 2]) AS mx, array_min([3, 1]) AS mn;
SELECT list_sort([3, NULL, 1], 'DESC', 'NULLS LAST') AS s, array_resize([1], 3, 0) AS r, string_to_array('a b', ' ') AS sa, array_any_value([NULL, 2]) AS av,
       array_positions([1, 2, 1], 1) AS ps, array_remove_all([1, 2, 1], 1) AS ra;
SELECT array_length(arrow_cast([1, 2, 3], 'LargeList(Int64)')) AS ll_len, array_append(arrow_cast([1], 'LargeList(Int64)'), 2) AS ll_ap,
       array_has(arrow_cast([1, 2], 'FixedSizeList(2, Int64)'), 2) AS fsl_has, array_to_string(arrow_cast([1, 2], 'FixedSizeList(2, Int64)'), '-') AS fsl_str;
SELECT arrow_typeof(array_append(arrow_cast([1], 'LargeList(Int64)'), 2)) AS t1, arrow_typeof(array_concat(arrow_cast([1], 'FixedSizeList(1, Int64)'), [2])) AS t2;

-- Comparisons
SELECT [1, 2] = [1, 2] AS eq, [1, 2] < [1, 3] AS lt, [1, 2] = [1, 2, 3] AS diff_len, [1, NULL] = [1, NULL] AS with_null,
       named_struct('a', 1) = named_struct('a', 1) AS seq, named_struct('a', 1, 'b', 2) < named_struct('a', 1, 'b', 3) AS slt;
SELECT [1, 2] IN ([1, 2], [3]) AS in_list, [] = [] AS empty_eq, map(['a'], [1]) = map(['a'], [1]) AS map_eq;

-- unnest
SELECT unnest([1, 2, 3]) AS u;
SELECT unnest([[1, 2], [3]]) AS inner_lists;
SELECT unnest(named_struct('a', 1, 'b', 'x'));
SELECT * FROM unnest([1, 2], ['a', 'b', 'c']) AS t(n, s);
SELECT unnest(arrow_cast([4, 5], 'LargeList(Int64)')) AS large, unnest(arrow_cast([6, 7], 'FixedSizeList(2, Int64)')) AS fixed;
SELECT unnest([]) AS nothing;

-- make_array and arrays over a UNION ALL of different integer widths
SELECT make_array(x) AS m, arrow_typeof(make_array(x)) AS t FROM (
  SELECT arrow_cast(1, 'Int8') AS x UNION ALL SELECT arrow_cast(300, 'Int16') UNION ALL SELECT arrow_cast(5, 'UInt32')) u;
SELECT make_array(x, x + 1) AS m, arrow_typeof(x) AS t FROM (
  SELECT arrow_cast(1, 'UInt8') AS x UNION ALL SELECT arrow_cast(2, 'Int64') UNION ALL SELECT arrow_cast(3, 'Int32')) u ORDER BY x;
SELECT array_agg(x ORDER BY x) AS xs, arrow_typeof(array_agg(x)) AS t FROM (
  SELECT arrow_cast(-1, 'Int8') AS x UNION ALL SELECT arrow_cast(65535, 'UInt16') UNION ALL SELECT arrow_cast(7, 'Int32')) u;
SELECT l, arrow_typeof(l) AS t FROM (SELECT make_array(arrow_cast(1, 'Int8')) AS l UNION ALL SELECT make_array(arrow_cast(1000, 'Int16'))) u ORDER BY l;
SELECT l FROM (SELECT make_array(arrow_cast(1, 'Int32')) AS l UNION ALL SELECT arrow_cast(make_array(2), 'LargeList(Int64)')) u ORDER BY l;
SELECT make_array(a, b) AS ab, arrow_typeof(make_array(a, b)) AS t FROM (
  SELECT arrow_cast(n_nationkey, 'Int8') AS a, arrow_cast(n_regionkey, 'UInt16') AS b FROM nation WHERE n_nationkey < 3
  UNION ALL SELECT arrow_cast(n_nationkey, 'Int16'), arrow_cast(n_regionkey, 'UInt8') FROM nation WHERE n_nationkey > 22) u ORDER BY a;

-- A table with list, struct and map columns
CREATE TABLE nested AS
SELECT column1 AS id, column2 AS ints, arrow_cast(column2, 'LargeList(Int64)') AS large_ints,
       named_struct('name', column3, 'score', column4, 'tags', column5) AS rec,
       map(column5, column2) AS tag_map, column6 AS grp
FROM (VALUES
  (1, [1, 2, 3], 'ann', 1.5, ['x', 'y', 'z'], 'a'),
  (2, [4, 5, 6], 'bob', NULL, ['x', 'q', 'r'], 'a'),
  (3, [1, 2, 3], 'cy', 2.5, ['p', 'q', 'r'], 'b'),
  (4, [7, NULL, 9], 'dee', 0.0, ['a', 'b', 'c'], 'b'),
  (5, [1, 2, 3], 'ann', 1.5, ['x', 'y', 'z'], 'c')
) AS v;
CREATE TABLE fixed AS SELECT id, arrow_cast(ints, 'FixedSizeList(3, Int64)') AS triple FROM nested;
SELECT * FROM nested;
SELECT * FROM fixed ORDER BY id;
SELECT arrow_typeof(ints), arrow_typeof(large_ints), arrow_typeof(rec), arrow_typeof(tag_map) FROM nested LIMIT 1;
SELECT arrow_typeof(triple) FROM fixed LIMIT 1;
SELECT id, ints[1] AS first, large_ints[3] AS third, rec['name'] AS name, rec['tags'][2] AS second_tag, tag_map['y'] AS y FROM nested;
SELECT id, nested.rec['score'] AS score, get_field(rec, 'tags') AS tags, array_length(ints) AS len, cardinality(tag_map) AS entries FROM nested ORDER BY id;
SELECT id, array_sum(ints) AS s, array_to_string(rec['tags'], '') AS joined, array_has(ints, 2) AS has2, array_position(rec['tags'], 'q') AS q_at FROM nested;
SELECT id, array_append(ints, id) AS appended, array_concat(ints, large_ints) AS both_lists, array_sort(ints, 'DESC') AS sorted FROM nested;
SELECT id, map_keys(tag_map) AS k, map_values(tag_map) AS v, map_extract(tag_map, 'x') AS x FROM nested;
SELECT f.id, f.triple, f.triple[2] AS middle, array_length(f.triple) AS len FROM fixed f ORDER BY f.id;
SELECT id FROM nested WHERE array_has(ints, 1) ORDER BY id;
SELECT id FROM nested WHERE rec['name'] = 'ann' ORDER BY id;
SELECT id FROM nested WHERE rec['score'] > 1 ORDER BY id;
SELECT id FROM nested WHERE ints = [1, 2, 3] ORDER BY id;
SELECT id FROM nested WHERE tag_map['q'] IS NOT NULL ORDER BY id;
SELECT id, unnest(ints) AS i FROM nested ORDER BY id, i;
SELECT id, unnest(rec['tags']) AS tag FROM nested WHERE id < 3 ORDER BY id, tag;
SELECT id, unnest(rec) FROM nested ORDER BY id;
SELECT id, unnest(large_ints) AS i FROM nested WHERE id = 4;
SELECT grp, array_agg(ints ORDER BY id) AS lists, array_agg(rec ORDER BY id) AS recs FROM nested GROUP BY grp ORDER BY grp;
SELECT grp, flatten(array_agg(ints ORDER BY id)) AS flat FROM nested GROUP BY grp ORDER BY grp;
SELECT array_agg(DISTINCT rec['name'] ORDER BY rec['name']) AS names FROM nested;
SELECT t.tag, count(*) AS n FROM (SELECT unnest(rec['tags']) AS tag FROM nested) t GROUP BY t.tag ORDER BY n DESC, t.tag;

-- GROUP BY and DISTINCT on lists and structs
SELECT ints, count(*) AS n FROM nested GROUP BY ints;
SELECT large_ints, count(*) AS n FROM nested GROUP BY large_ints ORDER BY large_ints;
SELECT rec, count(*) AS n FROM nested GROUP BY rec;
SELECT rec['tags'] AS tags, sum(id) AS s FROM nested GROUP BY rec['tags'];
SELECT triple, count(*) AS n FROM fixed GROUP BY triple;
SELECT DISTINCT ints FROM nested;
SELECT DISTINCT rec FROM nested;
SELECT ints, rec['name'] AS name FROM nested ORDER BY ints DESC, name;
SELECT id, rec FROM nested ORDER BY rec, id;

-- Joins on nested values and fields
CREATE TABLE people AS SELECT * FROM (VALUES ('ann', 30), ('bob', 40), ('cy', 50), ('zed', 60)) AS v(name, age);
SELECT n.id, p.age FROM nested n JOIN people p ON n.rec['name'] = p.name ORDER BY n.id;
SELECT p.name, count(n.id) AS n FROM people p LEFT JOIN nested n ON n.rec['name'] = p.name GROUP BY p.name ORDER BY p.name;
SELECT a.id AS a_id, b.id AS b_id FROM nested a JOIN nested b ON a.ints = b.ints AND a.id < b.id ORDER BY a_id, b_id;
SELECT a.id AS a_id, b.id AS b_id FROM nested a JOIN nested b ON a.rec = b.rec AND a.id < b.id ORDER BY a_id, b_id;
SELECT n.id, f.id AS fixed_id FROM nested n JOIN fixed f ON n.large_ints = f.triple WHERE n.id < f.id ORDER BY n.id, fixed_id;

-- Nested values built from TPC-H
SELECT r_name, array_agg(n_name ORDER BY n_name) AS nations, array_length(array_agg(n_name)) AS n FROM region JOIN nation ON r_regionkey = n_regionkey
GROUP BY r_name ORDER BY r_name;
SELECT named_struct('key', o_orderkey, 'status', o_orderstatus, 'price', o_totalprice) AS o FROM orders WHERE o_orderkey < 5 ORDER BY o_orderkey;
SELECT o_orderkey, array_agg(l_linenumber ORDER BY l_linenumber) AS lines, array_agg(named_struct('part', l_partkey, 'qty', l_quantity) ORDER BY l_linenumber) AS items
FROM orders JOIN lineitem ON o_orderkey = l_orderkey WHERE o_orderkey < 4 GROUP BY o_orderkey ORDER BY o_orderkey;
SELECT map(array_agg(n_name ORDER BY n_name), array_agg(n_nationkey ORDER BY n_name))['PERU'] AS peru FROM nation;
SELECT lines, count(*) AS orders_n FROM (SELECT l_orderkey, array_agg(l_linenumber ORDER BY l_linenumber) AS lines FROM lineitem GROUP BY l_orderkey) t
GROUP BY lines ORDER BY lines;
SELECT l_orderkey, unnest(parts) AS part FROM (SELECT l_orderkey, array_agg(l_partkey) AS parts FROM lineitem WHERE l_orderkey < 3 GROUP BY l_orderkey) t
ORDER BY l_orderkey, part;
SELECT c_mktsegment, array_slice(array_agg(c_custkey ORDER BY c_acctbal DESC, c_custkey), 1, 3) AS richest FROM customer GROUP BY c_mktsegment ORDER BY c_mktsegment;
SELECT s.supp['nation'] AS nation, count(*) AS n FROM (SELECT named_struct('id', s_suppkey, 'nation', s_nationkey) AS supp FROM supplier) s
GROUP BY s.supp['nation'] ORDER BY n DESC, nation LIMIT 5;
SELECT arrow_cast(make_array(p_size, p_size * 2), 'FixedSizeList(2, Int32)') AS sizes, count(*) AS n FROM part WHERE p_size < 4 GROUP BY 1 ORDER BY 1;
