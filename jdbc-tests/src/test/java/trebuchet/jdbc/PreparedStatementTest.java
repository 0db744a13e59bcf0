package trebuchet.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** PreparedStatement parameters of each JDBC setter, and re-execution with new values. */
class PreparedStatementTest extends TrebuchetJdbc {

  private Map<Integer, String> nationNames() throws SQLException {
    Map<Integer, String> names = new TreeMap<>();
    try (Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery("SELECT n_nationkey, n_name FROM nation")) {
      while (rs.next()) {
        names.put(rs.getInt(1), rs.getString(2));
      }
    }
    assertEquals(25, names.size());
    return names;
  }

  @Test
  void setIntAndSetLongReused() throws SQLException {
    Map<Integer, String> expected = nationNames();
    try (PreparedStatement ps = conn.prepareStatement("SELECT n_name FROM nation WHERE n_nationkey = ?")) {
      assertEquals(1, ps.getParameterMetaData().getParameterCount());
      for (int key : new int[] {3, 0, 24, 7}) {
        ps.setInt(1, key);
        assertEquals(expected.get(key), singleString(ps.executeQuery()), "setInt(" + key + ")");
      }
      for (int key : new int[] {12, 3}) {
        ps.setLong(1, key);
        assertEquals(expected.get(key), singleString(ps.executeQuery()), "setLong(" + key + ")");
      }
    }
  }

  @Test
  void setDouble() throws SQLException {
    Map<Integer, String> expected = nationNames();
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT n_name FROM nation WHERE CAST(n_nationkey AS DOUBLE) = ?")) {
      for (int key : new int[] {5, 19}) {
        ps.setDouble(1, key);
        assertEquals(expected.get(key), singleString(ps.executeQuery()), "setDouble(" + key + ")");
      }
    }
  }

  @Test
  void setBigDecimal() throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT count(*) FROM lineitem WHERE l_quantity = ?")) {
      for (String q : new String[] {"17.00", "3.00"}) {
        ps.setBigDecimal(1, new BigDecimal(q));
        long expected = singleLong("SELECT count(*) FROM lineitem WHERE l_quantity = " + q);
        assertEquals(expected, singleLong(ps.executeQuery()), "setBigDecimal(" + q + ")");
      }
    }
  }

  @Test
  void setString() throws SQLException {
    Map<Integer, String> expected = nationNames();
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT n_nationkey FROM nation WHERE n_name = ? AND n_regionkey = ?")) {
      ps.setString(1, "CANADA");
      ps.setInt(2, 1);
      assertEquals("3", singleString(ps.executeQuery()));
      ps.setString(1, expected.get(0));
      ps.setInt(2, 0);
      assertEquals("0", singleString(ps.executeQuery()));
    }
  }

  @Test
  void setDate() throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT count(*) FROM lineitem WHERE l_shipdate = ?")) {
      for (String day : new String[] {"1996-03-13", "1994-01-01"}) {
        ps.setDate(1, Date.valueOf(day));
        long expected = singleLong("SELECT count(*) FROM lineitem WHERE l_shipdate = DATE '" + day + "'");
        assertEquals(expected, singleLong(ps.executeQuery()), "setDate(" + day + ")");
      }
    }
  }

  @Test
  void setBoolean() throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement(
        "SELECT count(*) FROM nation WHERE (n_nationkey < 5) = ?")) {
      ps.setBoolean(1, true);
      assertEquals(5, singleLong(ps.executeQuery()), "setBoolean(true)");
      ps.setBoolean(1, false);
      assertEquals(20, singleLong(ps.executeQuery()), "setBoolean(false)");
    }
  }

  @Test
  void setNull() throws SQLException {
    try (PreparedStatement ps = conn.prepareStatement("SELECT count(*) FROM nation WHERE n_name = ?")) {
      ps.setNull(1, Types.VARCHAR);
      assertEquals(0, singleLong(ps.executeQuery()), "n_name = NULL");
      ps.setString(1, "CANADA");
      assertEquals(1, singleLong(ps.executeQuery()), "n_name = 'CANADA' after NULL");
    }
  }
}
