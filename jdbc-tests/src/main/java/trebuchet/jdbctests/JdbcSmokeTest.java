package trebuchet.jdbctests;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Smoke test through the real Arrow Flight SQL JDBC driver, using only {@code java.sql}.
 *
 * <p>Usage: {@code JdbcSmokeTest JDBC_URL}, e.g.
 * {@code jdbc:arrow-flight-sql://127.0.0.1:PORT/?useEncryption=false&user=alice&password=secret}.
 * The driver jar must be on the classpath (it registers itself through the ServiceLoader). Exits 1
 * if any check failed.
 */
public final class JdbcSmokeTest {
  private int passed;
  private final List<String> failures = new ArrayList<>();
  private final String url;

  private JdbcSmokeTest(String url) {
    this.url = url;
  }

  public static void main(String[] args) {
    if (args.length != 1) {
      System.err.println("usage: JdbcSmokeTest JDBC_URL");
      System.exit(2);
    }
    System.exit(new JdbcSmokeTest(args[0]).run());
  }

  interface Body {
    void run(Connection c) throws Exception;
  }

  static final class CheckFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CheckFailed(String message) {
      super(message);
    }
  }

  static void check(boolean condition, String format, Object... args) {
    if (!condition) {
      throw new CheckFailed(String.format(format, args));
    }
  }

  private int run() {
    System.out.println("JDBC smoke test: " + url.replaceAll("password=[^&]*", "password=***"));
    List<String> drivers = new ArrayList<>();
    for (Driver d : Collections.list(DriverManager.getDrivers())) {
      drivers.add(d.getClass().getName() + " " + d.getMajorVersion() + "." + d.getMinorVersion());
    }
    System.out.println("      registered drivers: " + drivers);

    Connection c = connect("connect", url);
    if (c != null) {
      step(c, "metadata: product name/version (GetSqlInfo)", this::productInfo);
      step(c, "metadata: getCatalogs", this::catalogs);
      step(c, "metadata: getSchemas", this::schemas);
      step(c, "metadata: getTables", this::tables);
      step(c, "metadata: getColumns(lineitem)", this::columns);
      step(c, "metadata: getPrimaryKeys / getImportedKeys / getExportedKeys", this::keys);
      step(c, "metadata: getTypeInfo", this::typeInfo);
      step(c, "Statement: SELECT", this::statement);
      step(c, "PreparedStatement: parameters", this::prepared);
      step(c, "Statement: CREATE TABLE / INSERT / DROP via executeUpdate", this::ddl);
      step(c, "SET then SHOW", this::setShow);
      step(c, "error: bad SQL raises SQLException with a SQLState", this::badSql);
      step(c, "connection still usable after the error", this::statement);
      close("close", c);
    }

    // URL property catalog= makes the driver send SetSessionOptions at connect, CloseSession at close.
    String catalogUrl = url + (url.contains("?") ? "&" : "?") + "catalog=datafusion";
    Connection withCatalog = connect("connect with catalog=datafusion (SetSessionOptions)", catalogUrl);
    if (withCatalog != null) {
      step(withCatalog, "query on the catalog=datafusion connection", this::statement);
      close("close with catalog=datafusion (CloseSession)", withCatalog);
    }

    System.out.printf("%nJdbcSmokeTest: %d passed, %d failed%n", passed, failures.size());
    for (String f : failures) {
      System.out.println("  FAIL " + f);
    }
    return failures.isEmpty() ? 0 : 1;
  }

  private Connection connect(String name, String jdbcUrl) {
    try {
      Connection c = DriverManager.getConnection(jdbcUrl);
      passed++;
      System.out.println("PASS  " + name);
      return c;
    } catch (SQLException e) {
      fail(name, describe(e));
      return null;
    }
  }

  private void close(String name, Connection c) {
    try {
      c.close();
      passed++;
      System.out.println("PASS  " + name);
    } catch (SQLException e) {
      String all = describe(e);
      if (all.contains("Channel shutdown invoked")) {
        // Known driver 18.3 bug (benign since 19.0.0), not a server problem.
        System.out.println("WARN  " + name + ": driver 18.3 reports 'Channel shutdown invoked' on close "
            + "(known client bug, fixed in 19.0.0)");
      } else {
        fail(name, all);
      }
    }
  }

  private void step(Connection c, String name, Body body) {
    try {
      body.run(c);
      passed++;
      System.out.println("PASS  " + name);
    } catch (CheckFailed e) {
      fail(name, e.getMessage());
    } catch (SQLException e) {
      fail(name, describe(e));
    } catch (Throwable t) {
      StringBuilder sb = new StringBuilder(t.toString());
      for (StackTraceElement el : t.getStackTrace()) {
        if (sb.length() > 1500) {
          break;
        }
        sb.append("\n      at ").append(el);
      }
      fail(name, sb.toString());
    }
    System.out.flush();
  }

  private void fail(String name, String message) {
    failures.add(name + ": " + message.split("\n", 2)[0]);
    System.out.println("FAIL  " + name + "\n    " + message);
  }

  private static void info(String message) {
    System.out.println("      " + message);
  }

  private static String describe(SQLException e) {
    StringBuilder sb = new StringBuilder();
    sb.append("SQLException SQLState=").append(e.getSQLState())
        .append(" errorCode=").append(e.getErrorCode())
        .append(": ").append(e.getMessage());
    for (Throwable t = e.getCause(); t != null && t != t.getCause(); t = t.getCause()) {
      sb.append("\n    caused by ").append(t);
    }
    return sb.toString().replaceAll("password=[^&\\s]*", "password=***");
  }

  // ---------------------------------------------------------------------------------------------

  private void productInfo(Connection c) throws SQLException {
    DatabaseMetaData md = c.getMetaData();
    String name = md.getDatabaseProductName();
    info("product " + name + " " + md.getDatabaseProductVersion()
        + ", driver " + md.getDriverName() + " " + md.getDriverVersion());
    check("Trebuchet".equals(name), "getDatabaseProductName() = %s, expected Trebuchet", name);
    info("quote=" + md.getIdentifierQuoteString() + " escape=" + md.getSearchStringEscape()
        + " readOnly=" + md.isReadOnly()
        + " defaultIsolation=" + md.getDefaultTransactionIsolation()
        + " maxColumnNameLength=" + md.getMaxColumnNameLength()
        + " supportsTransactions=" + md.supportsTransactions());
    String keywords = md.getSQLKeywords();
    info("getSQLKeywords: " + (keywords.length() > 80 ? keywords.substring(0, 80) + "..." : keywords));
    md.getNumericFunctions();
    md.getStringFunctions();
    md.supportsConvert();
    md.supportsGroupBy();
    md.supportsOuterJoins();
    md.supportsResultSetType(ResultSet.TYPE_FORWARD_ONLY);
  }

  private void catalogs(Connection c) throws SQLException {
    List<String> cats = column(c.getMetaData().getCatalogs(), "TABLE_CAT");
    info("catalogs: " + cats);
    check(cats.contains("datafusion"), "catalog datafusion not listed: %s", cats);
  }

  private void schemas(Connection c) throws SQLException {
    List<String> all = column(c.getMetaData().getSchemas(), "TABLE_SCHEM");
    info("schemas: " + all);
    check(!all.isEmpty(), "getSchemas() returned nothing");
    List<String> filtered = column(c.getMetaData().getSchemas("datafusion", "%"), "TABLE_SCHEM");
    check(!filtered.isEmpty(), "getSchemas(datafusion, %%) returned nothing");
  }

  private void tables(Connection c) throws SQLException {
    List<String> tables = column(c.getMetaData().getTables(null, null, "%", null), "TABLE_NAME");
    info(tables.size() + " tables: " + tables);
    check(tables.contains("lineitem") && tables.contains("nation"), "lineitem/nation missing: %s", tables);
  }

  private void columns(Connection c) throws SQLException {
    List<String> cols = new ArrayList<>();
    try (ResultSet rs = c.getMetaData().getColumns(null, null, "lineitem", "%")) {
      while (rs.next()) {
        cols.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME"));
      }
    }
    info("lineitem columns: " + cols);
    check(cols.size() == 16, "expected 16 columns, got %d", cols.size());
    check(cols.get(0).startsWith("l_orderkey:"), "first column is %s, expected l_orderkey", cols.get(0));
  }

  private void keys(Connection c) throws SQLException {
    DatabaseMetaData md = c.getMetaData();
    check(count(md.getPrimaryKeys(null, null, "lineitem")) == 0, "getPrimaryKeys returned rows");
    check(count(md.getImportedKeys(null, null, "lineitem")) == 0, "getImportedKeys returned rows");
    check(count(md.getExportedKeys(null, null, "lineitem")) == 0, "getExportedKeys returned rows");
  }

  private void typeInfo(Connection c) throws SQLException {
    // 18.3 answers from Avatica defaults without an RPC; just make sure it does not throw.
    info("getTypeInfo rows: " + count(c.getMetaData().getTypeInfo()));
  }

  private void statement(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT 1 AS one")) {
        check(rs.next() && rs.getInt(1) == 1, "SELECT 1 did not return 1");
      }
      try (ResultSet rs = s.executeQuery("SELECT n_nationkey, n_name FROM nation ORDER BY n_nationkey")) {
        ResultSetMetaData md = rs.getMetaData();
        check(md.getColumnCount() == 2, "expected 2 columns, got %d", md.getColumnCount());
        int rows = 0;
        String third = null;
        while (rs.next()) {
          if (rs.getInt(1) == 3) {
            third = rs.getString(2);
          }
          rows++;
        }
        check(rows == 25, "expected 25 nations, got %d", rows);
        check("CANADA".equals(third), "nation 3 is %s, expected CANADA", third);
      }
      try (ResultSet rs = s.executeQuery(
          "SELECT l_orderkey, l_quantity, l_extendedprice, l_shipdate, l_comment FROM lineitem LIMIT 3")) {
        int rows = 0;
        while (rs.next()) {
          rs.getLong(1);
          rs.getBigDecimal(2);
          rs.getBigDecimal(3);
          rs.getDate(4);
          rs.getString(5);
          rows++;
        }
        check(rows == 3, "expected 3 lineitem rows, got %d", rows);
      }
    }
  }

  private void prepared(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT n_name FROM nation WHERE n_nationkey = ?")) {
      check(ps.getParameterMetaData().getParameterCount() == 1, "expected 1 parameter, got %d",
          ps.getParameterMetaData().getParameterCount());
      ps.setInt(1, 3);
      check("CANADA".equals(single(ps.executeQuery())), "n_nationkey = 3 is not CANADA");
      ps.setLong(1, 0);
      check("ALGERIA".equals(single(ps.executeQuery())), "n_nationkey = 0 is not ALGERIA");
    }
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT n_nationkey FROM nation WHERE n_name = ? AND n_regionkey = ?")) {
      ps.setString(1, "CANADA");
      ps.setInt(2, 1);
      check("3".equals(single(ps.executeQuery())), "(CANADA, 1) did not give 3");
    }
  }

  private void ddl(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.executeUpdate("DROP TABLE IF EXISTS jdbc_smoke");
      int created = s.executeUpdate("CREATE TABLE jdbc_smoke AS SELECT 1 AS x");
      info("CREATE TABLE update count " + created);
      int inserted = s.executeUpdate("INSERT INTO jdbc_smoke VALUES (2)");
      info("INSERT update count " + inserted);
      try (ResultSet rs = s.executeQuery("SELECT count(*) FROM jdbc_smoke")) {
        check(rs.next() && rs.getLong(1) == 2, "expected 2 rows in jdbc_smoke");
      }
      s.executeUpdate("DROP TABLE jdbc_smoke");
    }
  }

  private void setShow(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET datafusion.execution.batch_size = 1234");
      try (ResultSet rs = s.executeQuery("SHOW datafusion.execution.batch_size")) {
        check(rs.next(), "SHOW returned no row");
        String value = rs.getString("value");
        check("1234".equals(value), "SHOW value = %s, expected 1234", value);
      }
    }
  }

  private void badSql(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.executeQuery("SELEC 1");
      throw new CheckFailed("bad SQL did not raise an SQLException");
    } catch (SQLException e) {
      info(describe(e).split("\n", 2)[0]);
      // Note: Avatica's Helper.createException builds SQLException(message, cause) without a SQLState
      // for errors that are not AvaticaClientRuntimeException, so whether this can pass depends on
      // the driver version, not only on the server's gRPC status.
      check(e.getSQLState() != null, "SQLException has no SQLState: %s", e.getMessage());
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static List<String> column(ResultSet rs, String name) throws SQLException {
    List<String> out = new ArrayList<>();
    try (rs) {
      while (rs.next()) {
        out.add(rs.getString(name));
      }
    }
    return out;
  }

  private static int count(ResultSet rs) throws SQLException {
    int n = 0;
    try (rs) {
      while (rs.next()) {
        n++;
      }
    }
    return n;
  }

  private static String single(ResultSet rs) throws SQLException {
    try (rs) {
      check(rs.next(), "no row");
      String v = rs.getString(1);
      check(!rs.next(), "more than one row");
      return v;
    }
  }
}
