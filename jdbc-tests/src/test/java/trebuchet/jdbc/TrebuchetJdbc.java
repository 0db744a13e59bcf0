package trebuchet.jdbc;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * Base of the driver tests: one connection per test class to the server named by the system
 * property {@code trebuchet.url} (run.sh sets it), with {@code trebuchet.user}/{@code trebuchet.password}
 * added to the URL the way DBeaver users type them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TrebuchetJdbc {
  /** The driver logs through java.util.logging; kept as a field so the level set here sticks. */
  static final Logger DRIVER_LOG = Logger.getLogger("org.apache.arrow.driver.jdbc");

  static {
    // Arrow's allocator logs three INFO lines at start-up; warnings and errors still show.
    Logger.getLogger("").setLevel(Level.WARNING);
  }

  /** The connection every test of the class uses. */
  protected Connection conn;

  @BeforeAll
  void openConnection() throws SQLException {
    conn = connect();
  }

  @AfterAll
  void closeConnection() throws SQLException {
    closeConnection(conn);
  }

  /** URL with credentials, e.g. jdbc:arrow-flight-sql://127.0.0.1:PORT/?useEncryption=false&user=..&password=.. */
  static String url() {
    String base = System.getProperty("trebuchet.url", "");
    if (base.isBlank()) {
      fail("system property trebuchet.url is not set; run jdbc-tests/run.sh, or pass "
          + "-Dtrebuchet.url=jdbc:arrow-flight-sql://127.0.0.1:PORT/?useEncryption=false");
    }
    String user = System.getProperty("trebuchet.user", "alice");
    String password = System.getProperty("trebuchet.password", "secret");
    return base + (base.contains("?") ? "&" : "?") + "user=" + user + "&password=" + password;
  }

  static Connection connect() throws SQLException {
    return DriverManager.getConnection(url());
  }

  /**
   * Closes a connection. Driver 18.3 may throw "Channel shutdown invoked" from close (a client bug,
   * benign and fixed in 19.0.0); that one is ignored, anything else fails the test.
   */
  static void closeConnection(Connection c) throws SQLException {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException e) {
      if (!String.valueOf(describe(e)).contains("Channel shutdown invoked")) {
        throw e;
      }
    }
  }

  /** Message plus causes, for assertion messages and the report. */
  static String describe(Throwable e) {
    StringBuilder sb = new StringBuilder(e.toString());
    if (e instanceof SQLException sql) {
      sb.append(" [SQLState=").append(sql.getSQLState()).append(']');
    }
    for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
      sb.append("\n  caused by ").append(t);
    }
    return sb.toString();
  }

  /** Reads every row of a one-column (or first-column) query as strings. */
  List<String> strings(String sql) throws SQLException {
    try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      return strings(rs, 1);
    }
  }

  static List<String> strings(ResultSet rs, String column) throws SQLException {
    List<String> out = new ArrayList<>();
    try (rs) {
      while (rs.next()) {
        out.add(rs.getString(column));
      }
    }
    return out;
  }

  static List<String> strings(ResultSet rs, int column) throws SQLException {
    List<String> out = new ArrayList<>();
    try (rs) {
      while (rs.next()) {
        out.add(rs.getString(column));
      }
    }
    return out;
  }

  /** The single long a query like {@code SELECT count(*) ...} returns. */
  long singleLong(String sql) throws SQLException {
    try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      return singleLong(rs);
    }
  }

  static long singleLong(ResultSet rs) throws SQLException {
    try (rs) {
      assertTrue(rs.next(), "no row");
      long v = rs.getLong(1);
      assertTrue(!rs.next(), "more than one row");
      return v;
    }
  }

  static String singleString(ResultSet rs) throws SQLException {
    try (rs) {
      assertTrue(rs.next(), "no row");
      String v = rs.getString(1);
      assertTrue(!rs.next(), "more than one row");
      return v;
    }
  }
}
