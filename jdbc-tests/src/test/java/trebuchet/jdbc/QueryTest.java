package trebuchet.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** Plain Statement queries: row limits, fetch size, full scans. */
class QueryTest extends TrebuchetJdbc {

  @Test
  void maxRowsAndFetchSizeStopAtTheLimit() throws SQLException {
    try (Statement s = conn.createStatement()) {
      s.setMaxRows(200);
      s.setFetchSize(50);
      int rows = 0;
      try (ResultSet rs = s.executeQuery("SELECT * FROM lineitem")) {
        assertEquals(16, rs.getMetaData().getColumnCount());
        while (rs.next()) {
          rs.getLong("l_orderkey");
          rows++;
        }
      }
      assertEquals(200, rows, "rows of SELECT * FROM lineitem with setMaxRows(200)");
    }
  }

  @Test
  void countEqualsFullScan() throws SQLException {
    for (String table : new String[] {"orders", "lineitem"}) {
      long scanned = 0;
      try (Statement s = conn.createStatement();
          ResultSet rs = s.executeQuery("SELECT * FROM " + table)) {
        while (rs.next()) {
          scanned++;
        }
      }
      long counted = singleLong("SELECT count(*) FROM " + table);
      assertTrue(scanned > 0, table + " is empty");
      assertEquals(scanned, counted, "count(*) vs rows read from a full scan of " + table);
    }
  }

  @Test
  void orderedQuery() throws SQLException {
    try (Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery("SELECT n_nationkey, n_name FROM nation ORDER BY n_nationkey")) {
      int expectedKey = 0;
      while (rs.next()) {
        assertEquals(expectedKey++, rs.getInt(1));
      }
      assertEquals(25, expectedKey, "nations");
    }
  }
}
