package trebuchet.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

/** Connecting: the driver registers itself, credentials are checked, URL properties reach the server. */
class ConnectionTest extends TrebuchetJdbc {

  @Test
  void driverIsRegistered() throws SQLException {
    assertTrue(DriverManager.getDriver(url()).getClass().getName().startsWith("org.apache.arrow.driver.jdbc."),
        "driver for " + url());
    System.out.println("driver version " + conn.getMetaData().getDriverVersion()
        + " (jdbc.driver.version=" + System.getProperty("jdbc.driver.version") + ")");
  }

  @Test
  void simpleQuery() throws SQLException {
    assertEquals(1, singleLong("SELECT 1"));
  }

  @Test
  void wrongPasswordIsRejected() {
    String bad = url().replaceAll("password=[^&]*", "password=wrong");
    Level level = DRIVER_LOG.getLevel();
    DRIVER_LOG.setLevel(Level.OFF); // the driver logs the expected UNAUTHENTICATED with a stack trace
    SQLException e;
    try {
      e = assertThrows(SQLException.class, () -> closeConnection(DriverManager.getConnection(bad)));
    } finally {
      DRIVER_LOG.setLevel(level);
    }
    assertTrue(describe(e).contains("UNAUTHENTICATED"), "expected UNAUTHENTICATED: " + describe(e));
  }

  /** URL property catalog= makes the driver send SetSessionOptions at connect and CloseSession at close. */
  @Test
  void catalogUrlProperty() throws SQLException {
    Connection c = DriverManager.getConnection(url() + "&catalog=datafusion");
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM nation")) {
      assertTrue(rs.next());
      assertEquals(25, rs.getLong(1));
    } finally {
      closeConnection(c);
    }
  }

  @Test
  void settingsAreNotSharedBetweenConnections() throws SQLException {
    Connection other = connect();
    try {
      try (Statement s = other.createStatement()) {
        s.execute("SET datafusion.execution.batch_size = 777");
      }
      try (Statement s = conn.createStatement();
          ResultSet rs = s.executeQuery("SHOW datafusion.execution.batch_size")) {
        assertTrue(rs.next());
        assertTrue(!"777".equals(rs.getString("value")), "SET on one connection changed another");
      }
    } finally {
      closeConnection(other);
    }
  }
}
