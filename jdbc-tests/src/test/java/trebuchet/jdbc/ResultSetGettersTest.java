package trebuchet.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;

/** ResultSet getters for the types a BI tool shows. */
class ResultSetGettersTest extends TrebuchetJdbc {

  @Test
  void scalarTypes() throws SQLException {
    String sql = "SELECT CAST(12.34 AS DECIMAL(10,2)) AS d, DATE '2024-02-29' AS dt,"
        + " TIMESTAMP '2024-02-29 12:34:56.789' AS ts, TIME '12:34:56' AS tm, true AS b,"
        + " CAST(9007199254740993 AS BIGINT) AS bi, CAST(1.5 AS DOUBLE) AS db, 'héllo' AS s,"
        + " CAST(NULL AS VARCHAR) AS n";
    try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      assertEquals(9, md.getColumnCount());
      int[] types = {Types.DECIMAL, Types.DATE, Types.TIMESTAMP, Types.TIME, Types.BOOLEAN, Types.BIGINT,
          Types.DOUBLE, Types.VARCHAR, Types.VARCHAR};
      for (int i = 0; i < types.length; i++) {
        assertEquals(types[i], md.getColumnType(i + 1), "JDBC type of " + md.getColumnName(i + 1));
      }

      assertTrue(rs.next());
      assertEquals(new BigDecimal("12.34"), rs.getBigDecimal("d"));
      assertEquals("2024-02-29", rs.getDate("dt").toLocalDate().toString());
      assertEquals("2024-02-29T12:34:56.789", rs.getTimestamp("ts").toLocalDateTime().toString());
      assertEquals("12:34:56", rs.getTime("tm").toLocalTime().toString());
      assertTrue(rs.getBoolean("b"));
      assertEquals(9007199254740993L, rs.getLong("bi"));
      assertEquals(1.5, rs.getDouble("db"));
      assertEquals("héllo", rs.getString("s"));
      assertEquals(null, rs.getString("n"));
      assertTrue(rs.wasNull());
      assertFalse(rs.next());
    }
  }

  @Test
  void list() throws SQLException {
    try (Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery("SELECT make_array(1,2) AS a")) {
      assertEquals(Types.ARRAY, rs.getMetaData().getColumnType(1));
      assertTrue(rs.next());
      Array array = rs.getArray(1);
      assertEquals(List.of(1L, 2L), longs(Arrays.asList((Object[]) array.getArray())), "getArray");
      assertEquals(List.of(1L, 2L), elements(rs.getObject(1)), "getObject");
    }
  }

  @Test
  void largeList() throws SQLException {
    try (Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery("SELECT arrow_cast(make_array(1,2), 'LargeList(Int64)') AS a")) {
      assertTrue(rs.next());
      assertEquals(List.of(1L, 2L), elements(rs.getObject(1)), "getObject");
      assertEquals(List.of(1L, 2L), longs(Arrays.asList((Object[]) rs.getArray(1).getArray())), "getArray");
    }
  }

  @Test
  void emptyResultNoRows() throws SQLException {
    try (Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM nation WHERE false")) {
      assertEquals("n_nationkey", rs.getMetaData().getColumnName(1));
      assertFalse(rs.next(), "a row from WHERE false");
    }
  }

  @Test
  @Disabled("driver 18.3 bug arrow-java#44 (fixed by arrow-java PR #1135): for a result without rows the"
      + " driver appends the dataset schema to the prepared signature twice, so 4 columns read as 8."
      + " Trebuchet sends one endpoint whose stream has the schema; sending an extra empty batch was"
      + " tried and does not help")
  void emptyResultColumnCount() throws SQLException {
    try (Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM nation WHERE false")) {
      assertEquals(4, rs.getMetaData().getColumnCount());
      assertEquals("n_nationkey", rs.getMetaData().getColumnName(1));
      assertFalse(rs.next(), "a row from WHERE false");
    }
  }

  /** getObject of a list column: driver 18.3 returns a java.sql.Array, other versions may return a List. */
  private static List<Long> elements(Object value) throws SQLException {
    if (value instanceof Array array) {
      return longs(Arrays.asList((Object[]) array.getArray()));
    }
    assertTrue(value instanceof List<?>, "getObject of a list is " + (value == null ? null : value.getClass()));
    return longs((List<?>) value);
  }

  private static List<Long> longs(List<?> values) {
    List<Long> out = new ArrayList<>();
    for (Object v : values) {
      out.add(((Number) v).longValue());
    }
    return out;
  }
}
