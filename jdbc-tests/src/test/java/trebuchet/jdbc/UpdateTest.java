package trebuchet.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** DDL, DML and SET through executeUpdate / execute. */
class UpdateTest extends TrebuchetJdbc {

  @Test
  void createInsertDropUpdateCounts() throws SQLException {
    try (Statement s = conn.createStatement()) {
      s.executeUpdate("DROP TABLE IF EXISTS jt");
      int created = s.executeUpdate("CREATE TABLE jt AS VALUES (1),(2)");
      assertTrue(created >= 0, "CREATE TABLE update count " + created);
      assertEquals(2, s.executeUpdate("INSERT INTO jt VALUES (3),(4)"), "INSERT of 2 rows");
      assertEquals(4, singleLong("SELECT count(*) FROM jt"));
      assertEquals(10, singleLong("SELECT sum(column1) FROM jt"));
      s.executeUpdate("DROP TABLE jt");
      assertEquals(0, strings(conn.getMetaData().getTables(null, null, "jt", null), "TABLE_NAME").size(),
          "jt still listed after DROP");
    }
  }

  @Test
  void setThenShow() throws SQLException {
    try (Statement s = conn.createStatement()) {
      s.execute("SET datafusion.execution.batch_size = 1024");
      try (ResultSet rs = s.executeQuery("SHOW datafusion.execution.batch_size")) {
        assertTrue(rs.next(), "SHOW returned no row");
        assertEquals("datafusion.execution.batch_size", rs.getString(1));
        assertEquals("1024", rs.getString("value"));
      }
      s.executeUpdate("SET datafusion.execution.batch_size = 2048");
      try (ResultSet rs = s.executeQuery("SHOW datafusion.execution.batch_size")) {
        assertTrue(rs.next(), "SHOW returned no row");
        assertEquals("2048", rs.getString("value"));
      }
    }
  }
}
