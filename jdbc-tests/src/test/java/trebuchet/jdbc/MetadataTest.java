package trebuchet.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What DBeaver calls when it connects and browses: DatabaseMetaData. */
class MetadataTest extends TrebuchetJdbc {

  /** One row of getColumns, the parts DBeaver shows. */
  record Column(String name, int type, String typeName, int size, int digits, int nullable) {}

  @Test
  void productAndDriver() throws SQLException {
    DatabaseMetaData md = conn.getMetaData();
    assertEquals("Trebuchet", md.getDatabaseProductName());
    String version = md.getDatabaseProductVersion();
    assertTrue(version != null && !version.isBlank(), "empty product version");
    System.out.printf("server %s %s, driver %s %s%n", md.getDatabaseProductName(), version,
        md.getDriverName(), md.getDriverVersion());
    // calls DBeaver makes on connect; they must not throw
    md.getIdentifierQuoteString();
    md.getSQLKeywords();
    md.getNumericFunctions();
    md.getStringFunctions();
    md.supportsTransactions();
    md.isReadOnly();
  }

  @Test
  void catalogs() throws SQLException {
    List<String> catalogs = strings(conn.getMetaData().getCatalogs(), "TABLE_CAT");
    assertTrue(catalogs.contains("datafusion"), "catalogs: " + catalogs);
  }

  @Test
  void schemas() throws SQLException {
    String schema = schemaOf("lineitem");
    List<String> all = strings(conn.getMetaData().getSchemas(), "TABLE_SCHEM");
    assertTrue(all.contains(schema), "getSchemas() " + all + " lacks " + schema);
    List<String> filtered = strings(conn.getMetaData().getSchemas("datafusion", "%"), "TABLE_SCHEM");
    assertTrue(filtered.contains(schema), "getSchemas(datafusion, %) " + filtered + " lacks " + schema);
    List<String> none = strings(conn.getMetaData().getSchemas("datafusion", "no_such_schema%"), "TABLE_SCHEM");
    assertEquals(List.of(), none);
  }

  @Test
  void tableTypes() throws SQLException {
    List<String> types = strings(conn.getMetaData().getTableTypes(), "TABLE_TYPE");
    assertFalse(types.isEmpty(), "getTableTypes() is empty");
    String lineitemType = typeOf("lineitem");
    assertTrue(types.contains(lineitemType), "getTableTypes() " + types + " lacks " + lineitemType);
  }

  @Test
  void tablesWithPatternAndTypeFilter() throws SQLException {
    DatabaseMetaData md = conn.getMetaData();
    List<String> all = strings(md.getTables(null, null, "%", null), "TABLE_NAME");
    for (String t : List.of("lineitem", "orders", "customer", "part", "partsupp", "supplier", "nation", "region")) {
      assertTrue(all.contains(t), "getTables(%) lacks " + t + ": " + all);
    }
    List<String> part = strings(md.getTables(null, null, "part%", null), "TABLE_NAME");
    assertEquals(List.of("part", "partsupp"), part.stream().sorted().toList(), "getTables(part%)");
    List<String> single = strings(md.getTables(null, null, "n_tion", null), "TABLE_NAME");
    assertEquals(List.of("nation"), single, "getTables(n_tion)");

    String type = typeOf("lineitem");
    List<String> ofType = strings(md.getTables("datafusion", schemaOf("lineitem"), "line%", new String[] {type}),
        "TABLE_NAME");
    assertEquals(List.of("lineitem"), ofType, "getTables(line%, [" + type + "])");
    List<String> views = strings(md.getTables(null, null, "%", new String[] {"VIEW"}), "TABLE_NAME");
    assertFalse(views.contains("lineitem"), "lineitem listed as a VIEW");
  }

  @Test
  void lineitemColumnsMatchQueryMetadata() throws SQLException {
    Map<String, Column> columns = new LinkedHashMap<>();
    try (ResultSet rs = conn.getMetaData().getColumns(null, null, "lineitem", "%")) {
      while (rs.next()) {
        Column c = new Column(rs.getString("COLUMN_NAME"), rs.getInt("DATA_TYPE"), rs.getString("TYPE_NAME"),
            rs.getInt("COLUMN_SIZE"), rs.getInt("DECIMAL_DIGITS"), rs.getInt("NULLABLE"));
        columns.put(c.name(), c);
      }
    }
    assertEquals(16, columns.size(), "lineitem columns: " + columns.keySet());
    assertEquals("l_orderkey", columns.keySet().iterator().next());
    assertEquals(Types.BIGINT, columns.get("l_orderkey").type(), "l_orderkey " + columns.get("l_orderkey"));
    Column quantity = columns.get("l_quantity");
    assertEquals(Types.DECIMAL, quantity.type(), "l_quantity " + quantity);
    assertEquals(15, quantity.size(), "l_quantity precision " + quantity);
    assertEquals(2, quantity.digits(), "l_quantity scale " + quantity);
    assertEquals(Types.DATE, columns.get("l_shipdate").type(), "l_shipdate " + columns.get("l_shipdate"));
    assertEquals(Types.VARCHAR, columns.get("l_comment").type(), "l_comment " + columns.get("l_comment"));

    // LIMIT 1, not LIMIT 0: driver 18.3 doubles the columns of an empty result (see ResultSetGettersTest).
    try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM lineitem LIMIT 1")) {
      ResultSetMetaData md = rs.getMetaData();
      List<String> names = new ArrayList<>();
      for (int i = 1; i <= md.getColumnCount(); i++) {
        names.add(md.getColumnName(i));
        Column c = columns.get(md.getColumnName(i));
        assertTrue(c != null, "query column " + md.getColumnName(i) + " not in getColumns");
        assertEquals(c.type(), md.getColumnType(i), "JDBC type of " + c.name() + ": getColumns vs query");
        assertEquals(c.typeName(), md.getColumnTypeName(i), "type name of " + c.name() + ": getColumns vs query");
        // getColumns reads the nullability GetTables sends, which is the query's wire schema:
        // every result column is nullable. (Driver 18.3's ResultSetMetaData.isNullable says
        // columnNoNulls for every query column whatever the schema says, so it cannot be
        // compared.)
        assertEquals(DatabaseMetaData.columnNullable, c.nullable(), "NULLABLE of " + c.name() + " in getColumns");
      }
      assertEquals(new ArrayList<>(columns.keySet()), names, "column order: getColumns vs query");
    }
  }

  @Test
  void decimalPrecisionAndScaleMatchGetColumns() throws SQLException {
    try (Statement s = conn.createStatement(); ResultSet rs = s.executeQuery("SELECT l_quantity FROM lineitem LIMIT 1")) {
      ResultSetMetaData md = rs.getMetaData();
      assertEquals(Types.DECIMAL, md.getColumnType(1));
      assertEquals(15, md.getPrecision(1), "precision of l_quantity in the query's ResultSetMetaData");
      assertEquals(2, md.getScale(1), "scale of l_quantity in the query's ResultSetMetaData");
    }
  }

  @Test
  void keysAreEmpty() throws SQLException {
    DatabaseMetaData md = conn.getMetaData();
    assertEquals(List.of(), strings(md.getPrimaryKeys(null, null, "lineitem"), 1));
    assertEquals(List.of(), strings(md.getImportedKeys(null, null, "lineitem"), 1));
    assertEquals(List.of(), strings(md.getExportedKeys(null, null, "lineitem"), 1));
    md.getTypeInfo().close();
  }

  private String schemaOf(String table) throws SQLException {
    List<String> s = strings(conn.getMetaData().getTables(null, null, table, null), "TABLE_SCHEM");
    assertEquals(1, s.size(), "schemas of " + table + ": " + s);
    return s.get(0);
  }

  private String typeOf(String table) throws SQLException {
    List<String> s = strings(conn.getMetaData().getTables(null, null, table, null), "TABLE_TYPE");
    assertEquals(1, s.size(), "types of " + table + ": " + s);
    return s.get(0);
  }
}
