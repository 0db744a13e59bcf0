package trebuchet.jdbctests;

import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.flight.CallHeaders;
import org.apache.arrow.flight.CallInfo;
import org.apache.arrow.flight.CallOption;
import org.apache.arrow.flight.CallOptions;
import org.apache.arrow.flight.CallStatus;
import org.apache.arrow.flight.CloseSessionRequest;
import org.apache.arrow.flight.CloseSessionResult;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightClientMiddleware;
import org.apache.arrow.flight.FlightEndpoint;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.FlightStatusCode;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.GetSessionOptionsRequest;
import org.apache.arrow.flight.GetSessionOptionsResult;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.LocationSchemes;
import org.apache.arrow.flight.SessionOptionValue;
import org.apache.arrow.flight.SessionOptionValueFactory;
import org.apache.arrow.flight.SessionOptionValueVisitor;
import org.apache.arrow.flight.SetSessionOptionsRequest;
import org.apache.arrow.flight.SetSessionOptionsResult;
import org.apache.arrow.flight.client.ClientCookieMiddleware;
import org.apache.arrow.flight.grpc.CredentialCallOption;
import org.apache.arrow.flight.sql.FlightSqlClient;
import org.apache.arrow.flight.sql.FlightSqlProducer.Schemas;
import org.apache.arrow.flight.sql.impl.FlightSql.SqlInfo;
import org.apache.arrow.flight.sql.util.TableRef;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.BaseVariableWidthVector;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.UInt2Vector;
import org.apache.arrow.vector.UInt4Vector;
import org.apache.arrow.vector.UInt8Vector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.DenseUnionVector;
import org.apache.arrow.vector.complex.MapVector;
import org.apache.arrow.vector.complex.impl.UnionMapReader;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.ArrowType.ArrowTypeID;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.Text;

/**
 * Replays, with Apache Arrow's Java {@link FlightSqlClient} (flight-sql 18.3, the layer beneath the
 * Arrow Flight SQL JDBC driver), the calls the JDBC driver 18.3 makes against a Flight SQL server,
 * and checks every answer the way the driver would consume it.
 *
 * <p>Usage: {@code FlightSqlClientReplay HOST PORT [USER PASSWORD]}. Prints one line per check
 * ({@code PASS}/{@code FAIL}/{@code WARN}); exits 1 if any check failed, 0 otherwise. WARN marks
 * behaviour that the JDBC driver does not depend on but that the design notes recommend.
 */
public final class FlightSqlClientReplay {
  private static final long CALL_TIMEOUT_SECONDS = 120;
  private static final String CATALOG = "datafusion";

  /**
   * SqlInfo ids read by the JDBC driver's {@code ArrowDatabaseMetadata} and the dense-union member
   * each must use: the driver casts the cached value to String / Boolean / List / Map / Integer /
   * Long. Drivers up to 18.3 throw NullPointerException when an id it reads is missing.
   */
  private static final Map<SqlInfo, String> JDBC_SQL_INFO = new EnumMap<>(SqlInfo.class);

  static {
    for (SqlInfo i :
        List.of(
            SqlInfo.FLIGHT_SQL_SERVER_NAME,
            SqlInfo.FLIGHT_SQL_SERVER_VERSION,
            SqlInfo.SQL_IDENTIFIER_QUOTE_CHAR,
            SqlInfo.SQL_SEARCH_STRING_ESCAPE,
            SqlInfo.SQL_EXTRA_NAME_CHARACTERS,
            SqlInfo.SQL_SCHEMA_TERM,
            SqlInfo.SQL_PROCEDURE_TERM,
            SqlInfo.SQL_CATALOG_TERM)) {
      JDBC_SQL_INFO.put(i, "string_value");
    }
    for (SqlInfo i :
        List.of(
            SqlInfo.FLIGHT_SQL_SERVER_READ_ONLY,
            SqlInfo.SQL_SUPPORTS_COLUMN_ALIASING,
            SqlInfo.SQL_NULL_PLUS_NULL_IS_NULL,
            SqlInfo.SQL_SUPPORTS_TABLE_CORRELATION_NAMES,
            SqlInfo.SQL_SUPPORTS_DIFFERENT_TABLE_CORRELATION_NAMES,
            SqlInfo.SQL_SUPPORTS_EXPRESSIONS_IN_ORDER_BY,
            SqlInfo.SQL_SUPPORTS_ORDER_BY_UNRELATED,
            SqlInfo.SQL_SUPPORTS_LIKE_ESCAPE_CLAUSE,
            SqlInfo.SQL_SUPPORTS_NON_NULLABLE_COLUMNS,
            SqlInfo.SQL_SUPPORTS_INTEGRITY_ENHANCEMENT_FACILITY,
            SqlInfo.SQL_CATALOG_AT_START,
            SqlInfo.SQL_SELECT_FOR_UPDATE_SUPPORTED,
            SqlInfo.SQL_STORED_PROCEDURES_SUPPORTED,
            SqlInfo.SQL_CORRELATED_SUBQUERIES_SUPPORTED,
            SqlInfo.SQL_MAX_ROW_SIZE_INCLUDES_BLOBS,
            SqlInfo.SQL_TRANSACTIONS_SUPPORTED,
            SqlInfo.SQL_DATA_DEFINITION_CAUSES_TRANSACTION_COMMIT,
            SqlInfo.SQL_DATA_DEFINITIONS_IN_TRANSACTIONS_IGNORED,
            SqlInfo.SQL_BATCH_UPDATES_SUPPORTED,
            SqlInfo.SQL_SAVEPOINTS_SUPPORTED,
            SqlInfo.SQL_NAMED_PARAMETERS_SUPPORTED,
            SqlInfo.SQL_LOCATORS_UPDATE_COPY,
            SqlInfo.SQL_STORED_FUNCTIONS_USING_CALL_SYNTAX_SUPPORTED)) {
      JDBC_SQL_INFO.put(i, "bool_value");
    }
    for (SqlInfo i :
        List.of(
            SqlInfo.SQL_KEYWORDS,
            SqlInfo.SQL_NUMERIC_FUNCTIONS,
            SqlInfo.SQL_STRING_FUNCTIONS,
            SqlInfo.SQL_SYSTEM_FUNCTIONS,
            SqlInfo.SQL_DATETIME_FUNCTIONS)) {
      JDBC_SQL_INFO.put(i, "string_list");
    }
    JDBC_SQL_INFO.put(SqlInfo.SQL_SUPPORTS_CONVERT, "int32_to_int32_list_map");
    for (SqlInfo i :
        List.of(
            SqlInfo.SQL_SUPPORTED_GROUP_BY,
            SqlInfo.SQL_SUPPORTED_GRAMMAR,
            SqlInfo.SQL_ANSI92_SUPPORTED_LEVEL,
            SqlInfo.SQL_OUTER_JOINS_SUPPORT_LEVEL,
            SqlInfo.SQL_SCHEMAS_SUPPORTED_ACTIONS,
            SqlInfo.SQL_CATALOGS_SUPPORTED_ACTIONS,
            SqlInfo.SQL_SUPPORTED_POSITIONED_COMMANDS,
            SqlInfo.SQL_SUPPORTED_RESULT_SET_TYPES,
            SqlInfo.SQL_SUPPORTED_SUBQUERIES,
            SqlInfo.SQL_SUPPORTED_UNIONS,
            SqlInfo.SQL_SUPPORTED_TRANSACTIONS_ISOLATION_LEVELS)) {
      JDBC_SQL_INFO.put(i, "int32_bitmask");
    }
    for (SqlInfo i :
        List.of(
            SqlInfo.SQL_MAX_BINARY_LITERAL_LENGTH,
            SqlInfo.SQL_MAX_CHAR_LITERAL_LENGTH,
            SqlInfo.SQL_MAX_COLUMN_NAME_LENGTH,
            SqlInfo.SQL_MAX_COLUMNS_IN_GROUP_BY,
            SqlInfo.SQL_MAX_COLUMNS_IN_INDEX,
            SqlInfo.SQL_MAX_COLUMNS_IN_ORDER_BY,
            SqlInfo.SQL_MAX_COLUMNS_IN_SELECT,
            SqlInfo.SQL_MAX_COLUMNS_IN_TABLE,
            SqlInfo.SQL_MAX_CONNECTIONS,
            SqlInfo.SQL_MAX_CURSOR_NAME_LENGTH,
            SqlInfo.SQL_MAX_INDEX_LENGTH,
            SqlInfo.SQL_DB_SCHEMA_NAME_LENGTH,
            SqlInfo.SQL_MAX_PROCEDURE_NAME_LENGTH,
            SqlInfo.SQL_MAX_CATALOG_NAME_LENGTH,
            SqlInfo.SQL_MAX_ROW_SIZE,
            SqlInfo.SQL_MAX_STATEMENT_LENGTH,
            SqlInfo.SQL_MAX_STATEMENTS,
            SqlInfo.SQL_MAX_TABLE_NAME_LENGTH,
            SqlInfo.SQL_MAX_TABLES_IN_SELECT,
            SqlInfo.SQL_MAX_USERNAME_LENGTH,
            SqlInfo.SQL_DEFAULT_TRANSACTION_ISOLATION)) {
      JDBC_SQL_INFO.put(i, "bigint_value");
    }
  }

  private final String host;
  private final int port;
  private final String user;
  private final String password;
  private final BufferAllocator allocator = new RootAllocator();
  private final List<String> failures = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();
  private int passed;
  private String currentStep = "";

  /** The main "JDBC connection". */
  private Connection conn;
  /** Where lineitem lives, learned from GetTables. */
  private String lineitemCatalog;
  private String lineitemSchema;

  private FlightSqlClientReplay(String host, int port, String user, String password) {
    this.host = host;
    this.port = port;
    this.user = user;
    this.password = password;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 2 && args.length != 4) {
      System.err.println("usage: FlightSqlClientReplay HOST PORT [USER PASSWORD]");
      System.exit(2);
    }
    String user = args.length == 4 ? args[2] : "alice";
    String password = args.length == 4 ? args[3] : "secret";
    FlightSqlClientReplay replay =
        new FlightSqlClientReplay(args[0], Integer.parseInt(args[1]), user, password);
    int rc = replay.run();
    System.exit(rc);
  }

  // ---------------------------------------------------------------------------------------------
  // Test plan
  // ---------------------------------------------------------------------------------------------

  private int run() {
    System.out.printf(
        "Flight SQL JDBC-call-pattern replay against grpc://%s:%d (user %s)%n", host, port, user);
    try {
      if (!step("auth: Handshake with Basic credentials returns a Bearer token", this::connectMain)) {
        System.out.println("cannot continue without an authenticated connection");
        return summary();
      }
      step("auth: wrong password is rejected at Handshake", this::wrongPassword);
      step("auth: call without credentials is rejected", this::noCredentials);
      step("session: SetSessionOptions catalog=datafusion (JDBC URL catalog=)", this::setCatalog);
      step("metadata: GetSqlInfo with no ids (JDBC DatabaseMetaData cache)", this::sqlInfo);
      step("metadata: GetCatalogs (getCatalogs)", this::catalogs);
      step("metadata: GetDbSchemas (getSchemas)", this::dbSchemas);
      step("metadata: GetTableTypes (getTableTypes)", this::tableTypes);
      step("metadata: GetTables include_schema=false (getTables)", this::tablesNoSchema);
      step("metadata: GetTables include_schema=true for lineitem (getColumns)", this::tablesLineitem);
      step("metadata: GetTables include_schema=true, all tables (DBeaver getColumns)", this::tablesAll);
      step("metadata: GetPrimaryKeys/ExportedKeys/ImportedKeys/CrossReference are empty", this::keys);
      step("query: Statement SELECT 1 via CreatePreparedStatement", this::selectOne);
      step("query: lineitem rows readable by JDBC 18.3 accessors", this::selectLineitem);
      step("query: PreparedStatement n_nationkey = ? bound to 3 -> CANADA", this::paramNation);
      step("query: re-executing with a new binding re-sends DoPut", this::paramRebind);
      step("query: two positional parameters", this::paramTwo);
      step("query: string parameter", this::paramString);
      step("ddl: prepare alone must not execute (side effects at execution)", this::prepareOnly);
      step("ddl: CREATE TABLE AS via prepared update path (empty dataset schema)", this::ddl);
      step("set: SET then SHOW datafusion.execution.batch_size", this::setShow);
      step("session: SetSessionOptions datafusion.execution.batch_size", this::sessionBatchSize);
      step("session: GetSessionOptions", this::getSessionOptions);
      step("session: sessions of two connections are isolated", this::sessionIsolation);
      step("errors: bad SQL gives a clear gRPC error, connection stays usable", this::errors);
      step("session: CloseSession (JDBC Connection.close with catalog=)", this::closeSession);
    } finally {
      closeQuietly();
    }
    return summary();
  }

  // ---------------------------------------------------------------------------------------------
  // Steps
  // ---------------------------------------------------------------------------------------------

  private void connectMain() {
    conn = Connection.open(this, user, password, true);
    check(conn.bearer != null, "Handshake succeeded but the response carried no "
        + "'authorization: Bearer <token>' header; the JDBC driver would send later calls unauthenticated");
    info("Handshake response headers: " + conn.recorder.describeHandshake());
  }

  private void wrongPassword() {
    try {
      Connection c = Connection.open(this, user, password + "-wrong", false);
      c.close();
      throw new CheckFailed("Handshake with a wrong password succeeded");
    } catch (FlightRuntimeException e) {
      check(
          e.status().code() == FlightStatusCode.UNAUTHENTICATED,
          "expected UNAUTHENTICATED, got %s: %s", e.status().code(), e.status().description());
      info("rejected: " + e.status().code() + ": " + e.status().description());
    }
  }

  private void noCredentials() {
    try (FlightClient client = FlightClient.builder(allocator, location()).build();
        FlightSqlClient sql = new FlightSqlClient(client)) {
      try {
        FlightInfo info = sql.getCatalogs(CallOptions.timeout(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS));
        throw new CheckFailed("GetCatalogs without credentials succeeded: " + info);
      } catch (FlightRuntimeException e) {
        check(
            e.status().code() == FlightStatusCode.UNAUTHENTICATED,
            "expected UNAUTHENTICATED, got %s: %s", e.status().code(), e.status().description());
        info("rejected: " + e.status().code() + ": " + e.status().description());
      }
    } catch (CheckFailed e) {
      throw e;
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }

  private void setCatalog() {
    SetSessionOptionsResult r =
        conn.sql.setSessionOptions(
            new SetSessionOptionsRequest(
                Map.of("catalog", SessionOptionValueFactory.makeSessionOptionValue(CATALOG))),
            conn.opts());
    check(!r.hasErrors(), "SetSessionOptions(catalog=%s) returned errors %s (the JDBC driver "
        + "fails the connection)", CATALOG, describeErrors(r));
  }

  private void sqlInfo() throws Exception {
    FlightInfo fi = conn.sql.getSqlInfo(new int[0], conn.opts());
    Map<Integer, String> member = new TreeMap<>();
    Map<Integer, Object> value = new TreeMap<>();
    Map<Object, Object> supportsConvert = new LinkedHashMap<>();
    Schema[] streamSchema = new Schema[1];
    forEachBatch(fi, conn, (root, schema) -> {
      streamSchema[0] = schema;
      check(root.getVector("info_name") instanceof UInt4Vector,
          "info_name must be uint32 (the driver reads it as Integer), got %s", describe(schema));
      check(root.getVector("value") instanceof DenseUnionVector,
          "value must be a dense union, got %s", describe(schema));
      UInt4Vector names = (UInt4Vector) root.getVector("info_name");
      DenseUnionVector values = (DenseUnionVector) root.getVector("value");
      for (int r = 0; r < root.getRowCount(); r++) {
        int id = names.get(r);
        check(!member.containsKey(id), "SqlInfo id %d returned twice", id);
        byte typeId = values.getTypeId(r);
        ValueVector child = values.getVectorByType(typeId);
        member.put(id, child.getName());
        value.put(id, normalize(values.getObject(r)));
        if (id == SqlInfo.SQL_SUPPORTS_CONVERT_VALUE && child instanceof MapVector) {
          supportsConvert.putAll(readMapLikeJdbc((MapVector) child, values.getOffset(r)));
        }
      }
    });
    check(streamSchema[0] != null, "GetSqlInfo returned no stream/schema");
    checkSchemaMatches("GetSqlInfo", Schemas.GET_SQL_INFO_SCHEMA, streamSchema[0]);
    info("server returned " + member.size() + " SqlInfo ids");

    List<String> problems = new ArrayList<>();
    List<Integer> unknown = new ArrayList<>();
    for (int id : member.keySet()) {
      if (SqlInfo.forNumber(id) == null) {
        unknown.add(id);
      }
    }
    if (!unknown.isEmpty()) {
      problems.add("ids unknown to the 18.3 driver's SqlInfo enum (its EnumMap cache throws on them "
          + "when all ids are requested): " + unknown);
    }
    List<String> missing = new ArrayList<>();
    for (Map.Entry<SqlInfo, String> e : JDBC_SQL_INFO.entrySet()) {
      int id = e.getKey().getNumber();
      if (!member.containsKey(id)) {
        missing.add(e.getKey() + "=" + id);
      } else if (!member.get(id).equals(e.getValue())) {
        problems.add(e.getKey() + " (" + id + ") is " + member.get(id) + ", the driver reads it as "
            + e.getValue() + " (ClassCastException)");
      }
    }
    if (!missing.isEmpty()) {
      problems.add(missing.size() + " ids read by DatabaseMetaData are missing (JDBC <=18.3 throws "
          + "NullPointerException on them): " + String.join(", ", missing));
    }
    String convert = String.valueOf(supportsConvert);
    info("SQL_SUPPORTS_CONVERT as the driver reads it: "
        + (convert.length() > 160 ? convert.substring(0, 160) + "..." : convert)
        + " (map entry fields " + mapEntryNames(streamSchema[0]) + ")");
    for (Map.Entry<Object, Object> e : supportsConvert.entrySet()) {
      if (!(e.getKey() instanceof Integer) || !(e.getValue() instanceof List)) {
        problems.add("SQL_SUPPORTS_CONVERT (517) read like the driver does (UnionMapReader.key()/value(), "
            + "which look up the entry fields 'key' and 'value') gives " + supportsConvert
            + "; the map's entry fields are " + mapEntryNames(streamSchema[0])
            + ", so DatabaseMetaData.supportsConvert(from, to) would always be false");
        break;
      }
    }
    check(problems.isEmpty(), "%d problem(s):%n    %s", problems.size(), String.join("\n    ", problems));

    Object name = value.get(SqlInfo.FLIGHT_SQL_SERVER_NAME_VALUE);
    check("Trebuchet".equals(name), "FLIGHT_SQL_SERVER_NAME (0) = %s, expected 'Trebuchet'", name);
    Object iso = value.get(SqlInfo.SQL_DEFAULT_TRANSACTION_ISOLATION_VALUE);
    check(iso instanceof Long,
        "SQL_DEFAULT_TRANSACTION_ISOLATION (562) = %s (%s); getDefaultTransactionIsolation() "
            + "casts it to Long", iso, iso == null ? "missing" : iso.getClass().getSimpleName());
    info("server name=" + name + " version=" + value.get(SqlInfo.FLIGHT_SQL_SERVER_VERSION_VALUE)
        + " arrow=" + value.get(SqlInfo.FLIGHT_SQL_SERVER_ARROW_VERSION_VALUE)
        + " quote=" + value.get(SqlInfo.SQL_IDENTIFIER_QUOTE_CHAR_VALUE)
        + " escape=" + value.get(SqlInfo.SQL_SEARCH_STRING_ESCAPE_VALUE)
        + " default isolation=" + iso);
  }

  /** What ArrowFlightJdbcMapVectorAccessor.getObject() returns for one map entry list. */
  private static Map<Object, Object> readMapLikeJdbc(MapVector map, int index) {
    Map<Object, Object> out = new LinkedHashMap<>();
    UnionMapReader reader = map.getReader();
    reader.setPosition(index);
    while (reader.next()) {
      out.put(normalize(reader.key().readObject()), normalize(reader.value().readObject()));
    }
    return out;
  }

  private static List<String> mapEntryNames(Schema sqlInfoSchema) {
    List<String> names = new ArrayList<>();
    for (Field member : sqlInfoSchema.findField("value").getChildren()) {
      if (member.getType().getTypeID() == ArrowTypeID.Map) {
        for (Field entries : member.getChildren()) {
          for (Field kv : entries.getChildren()) {
            names.add(kv.getName());
          }
        }
      }
    }
    return names;
  }

  private void catalogs() throws Exception {
    Table t = read(conn.sql.getCatalogs(conn.opts()), conn);
    checkSchemaMatches("GetCatalogs", Schemas.GET_CATALOGS_SCHEMA, t.schema);
    List<Object> names = t.column("catalog_name");
    info("catalogs: " + names);
    check(names.contains(CATALOG), "catalog '%s' not listed: %s", CATALOG, names);
  }

  private void dbSchemas() throws Exception {
    Table all = read(conn.sql.getSchemas(null, null, conn.opts()), conn);
    checkSchemaMatches("GetDbSchemas", Schemas.GET_SCHEMAS_SCHEMA, all.schema);
    check(!all.rows.isEmpty(), "GetDbSchemas(catalog=null, pattern=null) returned no rows");
    info("schemas: " + all.rowsAsStrings());
    Table filtered = read(conn.sql.getSchemas(CATALOG, "%", conn.opts()), conn);
    check(!filtered.rows.isEmpty(), "GetDbSchemas(catalog=%s, pattern=%%) returned no rows", CATALOG);
    for (Object c : filtered.column("catalog_name")) {
      check(CATALOG.equals(c), "GetDbSchemas(catalog=%s) returned a row of catalog %s", CATALOG, c);
    }
  }

  private void tableTypes() throws Exception {
    Table t = read(conn.sql.getTableTypes(conn.opts()), conn);
    checkSchemaMatches("GetTableTypes", Schemas.GET_TABLE_TYPES_SCHEMA, t.schema);
    check(!t.rows.isEmpty(), "GetTableTypes returned no rows");
    info("table types: " + t.column("table_type"));
  }

  private void tablesNoSchema() throws Exception {
    Table t = read(conn.sql.getTables(null, null, "%", null, false, conn.opts()), conn);
    checkSchemaMatches("GetTables(include_schema=false)", Schemas.GET_TABLES_SCHEMA_NO_SCHEMA, t.schema);
    List<Object> names = t.column("table_name");
    info(names.size() + " tables: " + names);
    for (String expected : List.of("lineitem", "nation")) {
      check(names.contains(expected), "table '%s' not listed by GetTables", expected);
    }
    int row = names.indexOf("lineitem");
    lineitemCatalog = (String) t.get(row, "catalog_name");
    lineitemSchema = (String) t.get(row, "db_schema_name");
    info("lineitem is " + lineitemCatalog + "." + lineitemSchema + ".lineitem");
    Table pattern = read(conn.sql.getTables(null, null, "line%", null, false, conn.opts()), conn);
    check(pattern.column("table_name").contains("lineitem"),
        "table_name_filter_pattern 'line%%' did not match lineitem: %s", pattern.column("table_name"));
    check(!pattern.column("table_name").contains("nation"),
        "table_name_filter_pattern 'line%%' matched nation");
  }

  private void tablesLineitem() throws Exception {
    Table t = read(conn.sql.getTables(null, null, "lineitem", null, true, conn.opts()), conn);
    checkSchemaMatches("GetTables(include_schema=true)", Schemas.GET_TABLES_SCHEMA, t.schema);
    check(t.rows.size() == 1, "expected 1 row for table lineitem, got %d: %s", t.rows.size(), t.rowsAsStrings());
    Schema s = deserializeTableSchema(t, 0);
    List<String> cols = new ArrayList<>();
    for (Field f : s.getFields()) {
      cols.add(f.getName());
    }
    info("lineitem columns: " + describe(s));
    for (String c : List.of("l_orderkey", "l_partkey", "l_quantity", "l_extendedprice", "l_shipdate", "l_comment")) {
      check(cols.contains(c), "lineitem table_schema lacks column %s: %s", c, cols);
    }
    check(cols.size() == 16, "lineitem should have 16 columns, table_schema has %d", cols.size());
    checkJdbcReadable("lineitem table_schema", s);
  }

  private void tablesAll() throws Exception {
    Table t = read(conn.sql.getTables(lineitemCatalog, lineitemSchema, "%", null, true, conn.opts()), conn);
    check(t.rows.size() >= 8, "expected at least the 8 TPC-H tables, got %d", t.rows.size());
    int columns = 0;
    for (int r = 0; r < t.rows.size(); r++) {
      Schema s = deserializeTableSchema(t, r);
      checkJdbcReadable("table_schema of " + t.get(r, "table_name"), s);
      columns += s.getFields().size();
    }
    info(t.rows.size() + " tables, " + columns + " columns deserialized");
  }

  private void keys() throws Exception {
    TableRef lineitem = TableRef.of(lineitemCatalog, lineitemSchema, "lineitem");
    TableRef orders = TableRef.of(lineitemCatalog, lineitemSchema, "orders");
    TableRef any = TableRef.of(lineitemCatalog, lineitemSchema, "%"); // DBeaver passes "%"
    expectEmpty("GetPrimaryKeys(lineitem)", conn.sql.getPrimaryKeys(lineitem, conn.opts()), Schemas.GET_PRIMARY_KEYS_SCHEMA);
    expectEmpty("GetExportedKeys(lineitem)", conn.sql.getExportedKeys(lineitem, conn.opts()), Schemas.GET_EXPORTED_KEYS_SCHEMA);
    expectEmpty("GetImportedKeys(lineitem)", conn.sql.getImportedKeys(lineitem, conn.opts()), Schemas.GET_IMPORTED_KEYS_SCHEMA);
    expectEmpty("GetCrossReference(orders, lineitem)", conn.sql.getCrossReference(orders, lineitem, conn.opts()), Schemas.GET_CROSS_REFERENCE_SCHEMA);
    expectEmpty("GetPrimaryKeys(table '%')", conn.sql.getPrimaryKeys(any, conn.opts()), Schemas.GET_PRIMARY_KEYS_SCHEMA);
    expectEmpty("GetImportedKeys(table '%')", conn.sql.getImportedKeys(any, conn.opts()), Schemas.GET_IMPORTED_KEYS_SCHEMA);
  }

  private void selectOne() throws Exception {
    Result r = jdbcExecute("SELECT 1 AS one");
    check(!r.update, "SELECT 1 was prepared with an empty dataset schema: JDBC would run it as an update");
    Object v = single(r.table, "SELECT 1");
    check(asLong(v) == 1L, "expected 1, got %s", v);
  }

  private void selectLineitem() throws Exception {
    Result r = jdbcExecute("SELECT l_orderkey, l_partkey, l_quantity, l_extendedprice, l_discount, "
        + "l_returnflag, l_shipdate, l_shipinstruct, l_comment FROM lineitem "
        + "ORDER BY l_orderkey, l_linenumber LIMIT 5");
    check(r.table.rows.size() == 5, "expected 5 rows, got %d", r.table.rows.size());
    info("schema: " + describe(r.table.schema));
    info("first row: " + r.table.rows.get(0));
    Result count = jdbcExecute("SELECT count(*) AS c FROM nation");
    Object n = single(count.table, "SELECT count(*) FROM nation");
    check(asLong(n) == 25L, "count(*) FROM nation = %s, expected 25", n);
  }

  private void paramNation() throws Exception {
    try (Prepared p = prepare("SELECT n_name FROM nation WHERE n_nationkey = ?")) {
      check(p.parameterSchema().getFields().size() == 1,
          "parameter_schema must have exactly 1 field (JDBC builds its parameters from it), got %s",
          describe(p.parameterSchema()));
      Field f = p.parameterSchema().getFields().get(0);
      info("parameter schema: " + describe(p.parameterSchema()));
      if (!f.isNullable()) {
        warn("parameter field '" + f.getName() + "' is not nullable: JDBC setNull() on it fails");
      }
      Table t = p.query(3);
      check(t.rows.size() == 1 && "CANADA".equals(t.rows.get(0).get(0)),
          "expected [[CANADA]], got %s", t.rowsAsStrings());
    }
  }

  private void paramRebind() throws Exception {
    try (Prepared p = prepare("SELECT n_name FROM nation WHERE n_nationkey = ?")) {
      Table a = p.query(3);
      Table b = p.query(0);
      Table c = p.query(3);
      check(List.of(List.of("CANADA")).equals(a.rows), "first execution: expected [[CANADA]], got %s", a.rows);
      check(List.of(List.of("ALGERIA")).equals(b.rows), "after rebinding to 0: expected [[ALGERIA]], got %s", b.rows);
      check(List.of(List.of("CANADA")).equals(c.rows), "after rebinding to 3: expected [[CANADA]], got %s", c.rows);
    }
  }

  private void paramTwo() throws Exception {
    try (Prepared p = prepare("SELECT n_name FROM nation WHERE n_nationkey = ? AND n_regionkey = ?")) {
      check(p.parameterSchema().getFields().size() == 2,
          "parameter_schema must have 2 fields, got %s", describe(p.parameterSchema()));
      info("parameter schema: " + describe(p.parameterSchema()));
      Table hit = p.query(3, 1);
      check(List.of(List.of("CANADA")).equals(hit.rows), "(3, 1): expected [[CANADA]], got %s", hit.rows);
      Table miss = p.query(3, 2);
      check(miss.rows.isEmpty(), "(3, 2): expected no rows, got %s (parameters bound out of order?)", miss.rows);
    }
  }

  private void paramString() throws Exception {
    try (Prepared p = prepare("SELECT n_nationkey, n_regionkey FROM nation WHERE n_name = ?")) {
      info("parameter schema: " + describe(p.parameterSchema()));
      Table t = p.query("CANADA");
      check(asLong(single(t, "n_name = 'CANADA'")) == 3L, "expected n_nationkey 3, got %s", t.rows.get(0));
    }
  }

  private void prepareOnly() throws Exception {
    try (Prepared p = prepare("CREATE TABLE jt_prepared_only AS SELECT 1 AS x")) {
      check(p.datasetSchema().getFields().isEmpty(),
          "CREATE TABLE must have an empty dataset_schema, got %s", describe(p.datasetSchema()));
    } // closed without executing
    try {
      Result r = jdbcExecute("SELECT x FROM jt_prepared_only");
      throw new CheckFailed("table jt_prepared_only exists after only preparing CREATE TABLE: " + r.table.rows);
    } catch (FlightRuntimeException e) {
      info("as expected, jt_prepared_only does not exist: " + e.status().code() + ": " + firstLine(e.status().description()));
    }
    try (Prepared p = prepare("SET datafusion.execution.batch_size = 777")) {
      check(p.datasetSchema().getFields().isEmpty(),
          "SET must have an empty dataset_schema, got %s", describe(p.datasetSchema()));
    }
    Object v = showValue("datafusion.execution.batch_size");
    check(!"777".equals(v), "batch_size became 777 after only preparing SET (side effect at prepare time)");
  }

  private void ddl() throws Exception {
    Result drop = jdbcExecute("DROP TABLE IF EXISTS jt");
    check(drop.update, "DROP TABLE IF EXISTS: expected an empty dataset schema (update path), got %s",
        drop.table == null ? "?" : describe(drop.table.schema));
    try (Prepared p = prepare("CREATE TABLE jt AS SELECT 1 AS x")) {
      check(p.datasetSchema().getFields().isEmpty(),
          "CREATE TABLE jt AS SELECT 1 AS x: dataset_schema must be empty so JDBC takes the update path, got %s",
          describe(p.datasetSchema()));
      check(p.parameterSchema().getFields().isEmpty(),
          "CREATE TABLE: parameter_schema must be empty, got %s", describe(p.parameterSchema()));
      long n = p.ps.executeUpdate(conn.opts());
      info("CREATE TABLE executeUpdate -> " + n);
    }
    Result sel = jdbcExecute("SELECT x FROM jt");
    Object x = single(sel.table, "SELECT x FROM jt");
    check(asLong(x) == 1L, "SELECT x FROM jt: expected [[1]], got %s", sel.table.rows);
    Table listed = read(conn.sql.getTables(null, null, "jt", null, true, conn.opts()), conn);
    check(listed.rows.size() == 1, "GetTables does not list the new table jt: %s", listed.rowsAsStrings());
    Result ins = jdbcExecute("INSERT INTO jt VALUES (2)");
    if (!ins.update) {
      // The driver then runs it as a query: executeUpdate() returns -1 instead of the row count.
      warn("INSERT was prepared with dataset_schema " + describe(ins.table.schema)
          + ": the JDBC driver takes the query path and executeUpdate() reports -1 rows");
    } else if (ins.count != 1) {
      warn("INSERT INTO jt VALUES (2): update count " + ins.count + ", expected 1 (JDBC returns it from executeUpdate)");
    }
    Result cnt = jdbcExecute("SELECT count(*) FROM jt");
    Object c2 = single(cnt.table, "SELECT count(*) FROM jt");
    check(asLong(c2) == 2L, "after INSERT, count(*) = %s, expected 2", c2);
    Result dropAgain = jdbcExecute("DROP TABLE jt");
    check(dropAgain.update, "DROP TABLE: expected the update path");
  }

  private void setShow() throws Exception {
    Result set = jdbcExecute("SET datafusion.execution.batch_size = 1234");
    check(set.update, "SET must be prepared with an empty dataset schema (JDBC update path), got %s",
        set.table == null ? "?" : describe(set.table.schema));
    Object v = showValue("datafusion.execution.batch_size");
    check("1234".equals(v), "SHOW datafusion.execution.batch_size: value = %s, expected '1234'", v);
  }

  private void sessionBatchSize() throws Exception {
    SetSessionOptionsResult r = conn.sql.setSessionOptions(new SetSessionOptionsRequest(
        Map.of("datafusion.execution.batch_size", SessionOptionValueFactory.makeSessionOptionValue("4321"))),
        conn.opts());
    check(!r.hasErrors(), "SetSessionOptions(datafusion.execution.batch_size='4321') errors: %s", describeErrors(r));
    Object v = showValue("datafusion.execution.batch_size");
    check("4321".equals(v), "after SetSessionOptions batch_size='4321', SHOW gives %s", v);

    try {
      SetSessionOptionsResult r2 = conn.sql.setSessionOptions(new SetSessionOptionsRequest(
          Map.of("datafusion.execution.batch_size", SessionOptionValueFactory.makeSessionOptionValue(4096L))),
          conn.opts());
      Object v2 = showValue("datafusion.execution.batch_size");
      if (r2.hasErrors() || !"4096".equals(v2)) {
        warn("SetSessionOptions with an int64 value 4096: errors " + describeErrors(r2) + ", SHOW gives " + v2);
      }
    } catch (FlightRuntimeException e) {
      warn("SetSessionOptions with an int64 value failed: " + e.status().code() + ": " + e.status().description());
    }

    try {
      SetSessionOptionsResult r3 = conn.sql.setSessionOptions(new SetSessionOptionsRequest(
          Map.of("trebuchet.no_such_option", SessionOptionValueFactory.makeSessionOptionValue("x"))),
          conn.opts());
      SetSessionOptionsResult.Error err = r3.getErrors().get("trebuchet.no_such_option");
      if (err == null || err.value != SetSessionOptionsResult.ErrorValue.INVALID_NAME) {
        warn("unknown option name: expected INVALID_NAME in the result, got " + describeErrors(r3));
      } else {
        info("unknown option name -> INVALID_NAME");
      }
    } catch (FlightRuntimeException e) {
      warn("unknown option name answered with a gRPC error instead of INVALID_NAME in the result: "
          + e.status().code() + ": " + e.status().description());
    }
  }

  private void getSessionOptions() {
    GetSessionOptionsResult r = conn.sql.getSessionOptions(new GetSessionOptionsRequest(), conn.opts());
    Map<String, Object> opts = new TreeMap<>();
    for (Map.Entry<String, SessionOptionValue> e : r.getSessionOptions().entrySet()) {
      opts.put(e.getKey(), sessionValue(e.getValue()));
    }
    Map<String, Object> shown = new TreeMap<>();
    for (String k : List.of("catalog", "schema", "datafusion.execution.batch_size")) {
      if (opts.containsKey(k)) {
        shown.put(k, opts.get(k));
      }
    }
    info(opts.size() + " session options, among them " + shown);
    check(CATALOG.equals(opts.get("catalog")), "GetSessionOptions: catalog = %s, expected '%s' (set at connect)",
        opts.get("catalog"), CATALOG);
    if (!opts.containsKey("datafusion.execution.batch_size")) {
      warn("GetSessionOptions does not report datafusion.execution.batch_size, which was set on this session");
    }
  }

  private void sessionIsolation() throws Exception {
    Object mine = showValue("datafusion.execution.batch_size");
    try (Connection other = Connection.open(this, user, password, true)) {
      Result r = execute(other, "SHOW datafusion.execution.batch_size");
      Object theirs = r.table.get(0, "value");
      info("this connection: " + mine + ", a new connection: " + theirs);
      check(!Objects.equals(mine, theirs),
          "a second connection (own Handshake) sees this connection's batch_size %s: sessions are shared", mine);
      Result set = execute(other, "SET datafusion.execution.batch_size = 2222");
      check(set.update, "SET on the second connection did not take the update path");
      Object after = showValue("datafusion.execution.batch_size");
      check(Objects.equals(mine, after),
          "SET on the second connection changed this connection's batch_size from %s to %s", mine, after);
    }
  }

  private void errors() throws Exception {
    FlightRuntimeException syntax = expectError("SELEC 1");
    check(syntax.status().code() == FlightStatusCode.INVALID_ARGUMENT,
        "syntax error: expected INVALID_ARGUMENT, got %s: %s", syntax.status().code(), syntax.status().description());
    FlightRuntimeException missing = expectError("SELECT * FROM no_such_table_xyz");
    check(missing.status().code() == FlightStatusCode.INVALID_ARGUMENT
            || missing.status().code() == FlightStatusCode.NOT_FOUND,
        "unknown table: expected INVALID_ARGUMENT or NOT_FOUND, got %s: %s",
        missing.status().code(), missing.status().description());
    Result r = jdbcExecute("SELECT 1 AS still_ok");
    check(r.table.rows.size() == 1, "connection unusable after errors");
  }

  private void closeSession() {
    CloseSessionResult r = conn.sql.closeSession(new CloseSessionRequest(), conn.opts());
    info("CloseSession -> " + r.getStatus());
    check(r.getStatus() == CloseSessionResult.Status.CLOSED || r.getStatus() == CloseSessionResult.Status.CLOSING,
        "CloseSession status %s, expected CLOSED", r.getStatus());
  }

  // ---------------------------------------------------------------------------------------------
  // JDBC-like helpers
  // ---------------------------------------------------------------------------------------------

  /** Statement.execute(sql) as the JDBC driver does it: always through CreatePreparedStatement. */
  private Result jdbcExecute(String sql) throws Exception {
    return execute(conn, sql);
  }

  private Result execute(Connection c, String sql) throws Exception {
    try (Prepared p = prepare(c, sql)) {
      Result r = new Result();
      if (p.datasetSchema().getFields().isEmpty()) {
        r.update = true;
        r.count = p.ps.executeUpdate(c.opts());
      } else {
        r.table = p.query();
      }
      return r;
    }
  }

  private Object showValue(String name) throws Exception {
    Result r = jdbcExecute("SHOW " + name);
    check(!r.update, "SHOW was prepared with an empty dataset schema");
    check(hasField(r.table.schema, "value"),
        "SHOW result has no 'value' column: %s", describe(r.table.schema));
    check(r.table.rows.size() == 1, "SHOW %s returned %d rows: %s", name, r.table.rows.size(), r.table.rows);
    return r.table.get(0, "value");
  }

  private Prepared prepare(String sql) {
    return prepare(conn, sql);
  }

  private Prepared prepare(Connection c, String sql) {
    Prepared p = new Prepared(this, c, sql, c.sql.prepare(sql, c.opts()));
    checkJdbcReadable("dataset_schema of [" + sql + "]", p.datasetSchema());
    checkJdbcReadable("parameter_schema of [" + sql + "]", p.parameterSchema());
    return p;
  }

  private FlightRuntimeException expectError(String sql) throws Exception {
    try {
      Result r = jdbcExecute(sql);
      throw new CheckFailed("[" + sql + "] succeeded: " + (r.table == null ? "update " + r.count : r.table.rows));
    } catch (FlightRuntimeException e) {
      info("[" + sql + "] -> " + e.status().code() + ": " + firstLine(e.status().description()));
      check(e.status().description() != null && !e.status().description().isBlank(),
          "error for [%s] has no message", sql);
      return e;
    }
  }

  private void expectEmpty(String what, FlightInfo info, Schema expected) throws Exception {
    Table t = read(info, conn);
    checkSchemaMatches(what, expected, t.schema);
    check(t.rows.isEmpty(), "%s: expected no rows, got %s", what, t.rowsAsStrings());
  }

  private Schema deserializeTableSchema(Table t, int row) throws Exception {
    Object bytes = t.get(row, "table_schema");
    check(bytes instanceof byte[], "table_schema of row %d is %s, expected binary", row,
        bytes == null ? "null" : bytes.getClass().getSimpleName());
    try {
      return MessageSerializer.deserializeSchema(
          new ReadChannel(Channels.newChannel(new ByteArrayInputStream((byte[]) bytes))));
    } catch (Exception e) {
      throw new CheckFailed("table_schema of " + t.get(row, "table_name")
          + " is not an IPC-encapsulated schema message (MessageSerializer.deserializeSchema): " + e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reading results like ArrowFlightSqlClientHandler.getStreams
  // ---------------------------------------------------------------------------------------------

  interface BatchConsumer {
    void accept(VectorSchemaRoot root, Schema schema) throws Exception;
  }

  private void forEachBatch(FlightInfo info, Connection c, BatchConsumer consumer) throws Exception {
    for (FlightEndpoint ep : info.getEndpoints()) {
      Connection located = null;
      FlightStream stream;
      if (ep.getLocations().isEmpty()) {
        stream = c.sql.getStream(ep.getTicket(), c.opts());
      } else {
        URI uri = ep.getLocations().get(0).getUri();
        if (LocationSchemes.REUSE_CONNECTION.equals(uri.getScheme())) {
          stream = c.sql.getStream(ep.getTicket(), c.opts());
        } else {
          // The JDBC driver builds a new client for the location, re-handshakes, carries no cookies.
          check(!LocationSchemes.GRPC_TLS.equals(uri.getScheme()), "TLS endpoint locations are not supported by this replay: %s", uri);
          info("endpoint location " + uri + ": new connection + Handshake, as the JDBC driver does");
          located = Connection.open(this, uri.getHost(), uri.getPort(), user, password, false);
          stream = located.sql.getStream(ep.getTicket(), located.opts());
        }
      }
      try {
        Schema schema = stream.getSchema();
        while (stream.next()) {
          consumer.accept(stream.getRoot(), schema);
        }
      } finally {
        stream.close();
        if (located != null) {
          located.close();
        }
      }
    }
  }

  private Table read(FlightInfo info, Connection c) throws Exception {
    Table t = new Table();
    t.infoSchema = info.getSchemaOptional().orElse(null);
    for (FlightEndpoint ep : info.getEndpoints()) {
      FlightInfo single = new FlightInfo(t.infoSchema == null ? new Schema(List.of()) : t.infoSchema,
          info.getDescriptor(), List.of(ep), -1, -1);
      Schema[] epSchema = new Schema[1];
      forEachBatch(single, c, (root, schema) -> {
        epSchema[0] = schema;
        for (int r = 0; r < root.getRowCount(); r++) {
          List<Object> row = new ArrayList<>();
          for (FieldVector v : root.getFieldVectors()) {
            row.add(normalize(v.getObject(r)));
          }
          t.rows.add(row);
        }
      });
      if (epSchema[0] == null) {
        continue; // schema-only stream: nothing to compare yet
      }
      if (t.schema == null) {
        t.schema = epSchema[0];
      } else {
        String d = typeDiff(t.schema.getFields(), epSchema[0].getFields(), "", true);
        check(d == null, "endpoints stream different schemas: %s", d);
      }
    }
    if (t.schema == null) {
      t.schema = t.infoSchema;
    } else if (t.infoSchema != null) {
      String d = typeDiff(t.infoSchema.getFields(), t.schema.getFields(), "", true);
      check(d == null, "FlightInfo.schema differs from the DoGet stream schema: %s%n    FlightInfo: %s%n    DoGet:      %s",
          d, describe(t.infoSchema), describe(t.schema));
      String n = nullabilityDiff(t.infoSchema.getFields(), t.schema.getFields(), "");
      if (n != null) {
        warn("FlightInfo.schema and DoGet schema differ in nullability: " + n);
      }
    }
    return t;
  }

  // ---------------------------------------------------------------------------------------------
  // Schema checks
  // ---------------------------------------------------------------------------------------------

  /**
   * Metadata results: every spec column must exist with the spec type. The driver looks vectors up
   * by name (VectorSchemaRootTransformer, getVector("...")), so column order does not matter.
   */
  private void checkSchemaMatches(String what, Schema expected, Schema actual) {
    check(actual != null, "%s: no schema", what);
    List<String> diffs = new ArrayList<>();
    for (Field e : expected.getFields()) {
      Field a = null;
      for (Field f : actual.getFields()) {
        if (f.getName().equals(e.getName())) {
          a = f;
        }
      }
      if (a == null) {
        diffs.add("column '" + e.getName() + "' missing");
        continue;
      }
      String d = typeDiff(List.of(e), List.of(a), "", true);
      if (d != null) {
        diffs.add(d);
      }
    }
    if (actual.getFields().size() != expected.getFields().size()) {
      diffs.add(actual.getFields().size() + " columns, the spec has " + expected.getFields().size());
    }
    check(diffs.isEmpty(), "%s schema differs from the Flight SQL spec: %s%n    expected: %s%n    actual:   %s",
        what, String.join("; ", diffs), describe(expected), describe(actual));
  }

  /**
   * Types the JDBC driver 18.3 cannot map (SqlTypes.getSqlTypeIdFromArrowType / accessor factory):
   * view types, run-end encoding and half floats.
   */
  private void checkJdbcReadable(String what, Schema schema) {
    List<String> bad = new ArrayList<>();
    collectUnsupported(schema.getFields(), "", bad);
    check(bad.isEmpty(), "%s has types the JDBC 18.3 driver cannot read: %s", what, bad);
  }

  private static void collectUnsupported(List<Field> fields, String prefix, List<String> out) {
    for (Field f : fields) {
      ArrowType t = f.getType();
      ArrowTypeID id = t.getTypeID();
      boolean unsupported = id == ArrowTypeID.Utf8View || id == ArrowTypeID.BinaryView
          || id == ArrowTypeID.ListView || id == ArrowTypeID.LargeListView
          || id == ArrowTypeID.RunEndEncoded
          || (t instanceof ArrowType.FloatingPoint
              && ((ArrowType.FloatingPoint) t).getPrecision() == FloatingPointPrecision.HALF);
      if (unsupported) {
        out.add(prefix + f.getName() + ": " + t);
      }
      collectUnsupported(f.getChildren(), prefix + f.getName() + ".", out);
    }
  }

  /**
   * First difference in names/types (positional). Child names are compared under structs and
   * unions only; list items and everything inside a map are compared by type alone (readers do not
   * look those up by name, except map key/value, which the SqlInfo step checks by reading).
   */
  private static String typeDiff(List<Field> a, List<Field> b, String path, boolean compareNames) {
    if (a.size() != b.size()) {
      return (path.isEmpty() ? "schema" : path) + ": " + b.size() + " fields, expected " + a.size();
    }
    for (int i = 0; i < a.size(); i++) {
      Field x = a.get(i);
      Field y = b.get(i);
      String p = path.isEmpty() ? x.getName() : path + "." + x.getName();
      if (compareNames && !x.getName().equals(y.getName())) {
        return (path.isEmpty() ? "" : path + ": ") + "field " + i + " named '" + y.getName()
            + "', expected '" + x.getName() + "'";
      }
      ArrowType tx = x.getType();
      ArrowType ty = y.getType();
      boolean same = tx instanceof ArrowType.Union && ty instanceof ArrowType.Union
          ? ((ArrowType.Union) tx).getMode() == ((ArrowType.Union) ty).getMode()
          : tx.equals(ty);
      if (!same) {
        return p + ": type " + ty + ", expected " + tx;
      }
      ArrowTypeID id = tx.getTypeID();
      String d = typeDiff(x.getChildren(), y.getChildren(), p,
          compareNames && (id == ArrowTypeID.Struct || id == ArrowTypeID.Union));
      if (d != null) {
        return d;
      }
    }
    return null;
  }

  private static String nullabilityDiff(List<Field> a, List<Field> b, String path) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      String p = path.isEmpty() ? a.get(i).getName() : path + "." + a.get(i).getName();
      if (a.get(i).isNullable() != b.get(i).isNullable()) {
        return p + " nullable=" + a.get(i).isNullable() + " vs " + b.get(i).isNullable();
      }
      String d = nullabilityDiff(a.get(i).getChildren(), b.get(i).getChildren(), p);
      if (d != null) {
        return d;
      }
    }
    return null;
  }

  private static boolean hasField(Schema s, String name) {
    for (Field f : s.getFields()) {
      if (f.getName().equals(name)) {
        return true;
      }
    }
    return false;
  }

  static String describe(Schema s) {
    if (s == null) {
      return "<none>";
    }
    if (s.getFields().isEmpty()) {
      return "<empty schema>";
    }
    List<String> parts = new ArrayList<>();
    for (Field f : s.getFields()) {
      parts.add(f.getName() + ": " + f.getType() + (f.isNullable() ? "" : " not null"));
    }
    return String.join(", ", parts);
  }

  // ---------------------------------------------------------------------------------------------
  // Parameter binding like AvaticaParameterBinder (values converted to the declared Arrow type)
  // ---------------------------------------------------------------------------------------------

  private static void bindValue(FieldVector v, Object value) {
    if (value == null) {
      check(v.getField().isNullable(), "setNull on non-nullable parameter %s", v.getField());
      if (v instanceof BaseFixedWidthVector) {
        ((BaseFixedWidthVector) v).setNull(0);
      } else if (v instanceof BaseVariableWidthVector) {
        ((BaseVariableWidthVector) v).setNull(0);
      } else {
        throw new CheckFailed("cannot bind null to parameter of type " + v.getField().getType());
      }
      return;
    }
    if (v instanceof BigIntVector) {
      ((BigIntVector) v).setSafe(0, toNumber(value).longValue());
    } else if (v instanceof IntVector) {
      ((IntVector) v).setSafe(0, toNumber(value).intValue());
    } else if (v instanceof SmallIntVector) {
      ((SmallIntVector) v).setSafe(0, toNumber(value).shortValue());
    } else if (v instanceof TinyIntVector) {
      ((TinyIntVector) v).setSafe(0, toNumber(value).byteValue());
    } else if (v instanceof UInt1Vector) {
      ((UInt1Vector) v).setSafe(0, toNumber(value).intValue());
    } else if (v instanceof UInt2Vector) {
      ((UInt2Vector) v).setSafe(0, toNumber(value).intValue());
    } else if (v instanceof UInt4Vector) {
      ((UInt4Vector) v).setSafe(0, toNumber(value).intValue());
    } else if (v instanceof UInt8Vector) {
      ((UInt8Vector) v).setSafe(0, toNumber(value).longValue());
    } else if (v instanceof Float8Vector) {
      ((Float8Vector) v).setSafe(0, toNumber(value).doubleValue());
    } else if (v instanceof Float4Vector) {
      ((Float4Vector) v).setSafe(0, toNumber(value).floatValue());
    } else if (v instanceof DecimalVector) {
      DecimalVector d = (DecimalVector) v;
      d.setSafe(0, new BigDecimal(value.toString()).setScale(d.getScale()));
    } else if (v instanceof BitVector) {
      ((BitVector) v).setSafe(0, Boolean.parseBoolean(value.toString()) ? 1 : 0);
    } else if (v instanceof VarCharVector) {
      ((VarCharVector) v).setSafe(0, value.toString().getBytes(StandardCharsets.UTF_8));
    } else if (v instanceof LargeVarCharVector) {
      ((LargeVarCharVector) v).setSafe(0, value.toString().getBytes(StandardCharsets.UTF_8));
    } else {
      throw new CheckFailed("parameter type " + v.getField().getType()
          + " is not bindable by this replay (JDBC binds Int/Float/Decimal/Utf8/Bool/Date/Time/Timestamp/...)");
    }
  }

  private static Number toNumber(Object value) {
    return value instanceof Number ? (Number) value : new BigDecimal(value.toString());
  }

  // ---------------------------------------------------------------------------------------------
  // Reporting
  // ---------------------------------------------------------------------------------------------

  interface Step {
    void run() throws Exception;
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

  private boolean step(String name, Step body) {
    currentStep = name;
    try {
      body.run();
      passed++;
      System.out.println("PASS  " + name);
      return true;
    } catch (CheckFailed e) {
      fail(name, e.getMessage());
    } catch (FlightRuntimeException e) {
      fail(name, "gRPC " + e.status().code() + ": " + e.status().description());
    } catch (Throwable t) {
      StringBuilder sb = new StringBuilder(t.toString());
      StackTraceElement[] st = t.getStackTrace();
      for (int i = 0; i < Math.min(6, st.length); i++) {
        sb.append("\n      at ").append(st[i]);
      }
      if (t.getCause() != null) {
        sb.append("\n    caused by ").append(t.getCause());
      }
      fail(name, sb.toString());
    } finally {
      System.out.flush();
    }
    return false;
  }

  private void fail(String name, String message) {
    failures.add(name + ": " + message);
    System.out.println("FAIL  " + name + "\n    " + message);
  }

  private void warn(String message) {
    warnings.add(currentStep + ": " + message);
    System.out.println("WARN  " + message);
  }

  private void info(String message) {
    System.out.println("      " + message);
  }

  private int summary() {
    System.out.printf("%nFlightSqlClientReplay: %d passed, %d failed, %d warning(s)%n",
        passed, failures.size(), warnings.size());
    for (String f : failures) {
      System.out.println("  FAIL " + firstLine(f));
    }
    for (String w : warnings) {
      System.out.println("  WARN " + firstLine(w));
    }
    System.out.flush();
    return failures.isEmpty() ? 0 : 1;
  }

  private void closeQuietly() {
    try {
      if (conn != null) {
        conn.close();
      }
    } catch (Exception e) {
      System.out.println("      (closing the client: " + e + ")");
    }
    try {
      allocator.close();
    } catch (Exception e) {
      System.out.println("      (allocator: " + firstLine(e.toString()) + ")");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Small value helpers
  // ---------------------------------------------------------------------------------------------

  private static Object normalize(Object o) {
    if (o instanceof Text) {
      return o.toString();
    }
    if (o instanceof List) {
      List<Object> out = new ArrayList<>();
      for (Object e : (List<?>) o) {
        out.add(normalize(e));
      }
      return out;
    }
    if (o instanceof Map) {
      Map<Object, Object> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : ((Map<?, ?>) o).entrySet()) {
        out.put(normalize(e.getKey()), normalize(e.getValue()));
      }
      return out;
    }
    return o;
  }

  /** The only cell of a one-row, one-column (or first-column) result. */
  private static Object single(Table t, String what) {
    check(t.rows.size() == 1, "%s: expected exactly 1 row, got %d: %s", what, t.rows.size(), t.rowsAsStrings());
    return t.rows.get(0).get(0);
  }

  private static long asLong(Object o) {
    check(o instanceof Number, "expected a number, got %s", o == null ? "null" : o + " (" + o.getClass().getSimpleName() + ")");
    return ((Number) o).longValue();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "null";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl) + " ...";
  }

  private static String describeErrors(SetSessionOptionsResult r) {
    Map<String, String> m = new TreeMap<>();
    for (Map.Entry<String, SetSessionOptionsResult.Error> e : r.getErrors().entrySet()) {
      m.put(e.getKey(), String.valueOf(e.getValue().value));
    }
    return m.toString();
  }

  private static Object sessionValue(SessionOptionValue v) {
    return v.acceptVisitor(new SessionOptionValueVisitor<Object>() {
      @Override public Object visit(String value) { return value; }
      @Override public Object visit(boolean value) { return value; }
      @Override public Object visit(long value) { return value; }
      @Override public Object visit(double value) { return value; }
      @Override public Object visit(String[] value) { return Arrays.asList(value); }
      @Override public Object visit(Void value) { return null; }
    });
  }

  private Location location() {
    return Location.forGrpcInsecure(host, port);
  }

  // ---------------------------------------------------------------------------------------------
  // Value classes
  // ---------------------------------------------------------------------------------------------

  static final class Table {
    Schema infoSchema;
    Schema schema;
    final List<List<Object>> rows = new ArrayList<>();

    int index(String column) {
      check(schema != null, "result has no schema");
      for (int i = 0; i < schema.getFields().size(); i++) {
        if (schema.getFields().get(i).getName().equals(column)) {
          return i;
        }
      }
      throw new CheckFailed("result has no column '" + column + "': " + describe(schema));
    }

    Object get(int row, String column) {
      return rows.get(row).get(index(column));
    }

    List<Object> column(String column) {
      int i = index(column);
      List<Object> out = new ArrayList<>();
      for (List<Object> r : rows) {
        out.add(r.get(i));
      }
      return out;
    }

    String rowsAsStrings() {
      List<String> out = new ArrayList<>();
      for (List<Object> r : rows) {
        List<String> cells = new ArrayList<>();
        for (Object o : r) {
          cells.add(o instanceof byte[] ? "<" + ((byte[]) o).length + " bytes>" : String.valueOf(o));
        }
        out.add(cells.toString());
      }
      return out.toString();
    }
  }

  static final class Result {
    boolean update;
    long count;
    Table table;
  }

  /** A FlightSqlClient.PreparedStatement used like ArrowFlightMetaImpl uses it. */
  static final class Prepared implements AutoCloseable {
    final FlightSqlClientReplay replay;
    final Connection conn;
    final String sql;
    final FlightSqlClient.PreparedStatement ps;

    Prepared(FlightSqlClientReplay replay, Connection conn, String sql, FlightSqlClient.PreparedStatement ps) {
      this.replay = replay;
      this.conn = conn;
      this.sql = sql;
      this.ps = ps;
    }

    Schema datasetSchema() {
      return ps.getResultSetSchema();
    }

    Schema parameterSchema() {
      return ps.getParameterSchema();
    }

    /** PreparedStatement.executeQuery(): bind (DoPut) if there are values, GetFlightInfo, DoGet. */
    Table query(Object... values) throws Exception {
      Schema params = parameterSchema();
      check(params.getFields().size() == values.length,
          "Prepared statement has %d parameters, but only received %d (parameter_schema: %s)",
          params.getFields().size(), values.length, describe(params));
      check(!datasetSchema().getFields().isEmpty(),
          "[%s] was prepared with an empty dataset schema: JDBC would run it as an update", sql);
      if (values.length > 0) {
        VectorSchemaRoot root = VectorSchemaRoot.create(params, replay.allocator);
        root.allocateNew();
        for (int i = 0; i < values.length; i++) {
          bindValue(root.getVector(i), values[i]);
        }
        root.setRowCount(1);
        ps.setParameters(root); // owned (and closed) by the prepared statement
      }
      FlightInfo info = ps.execute(conn.opts());
      Table t = replay.read(info, conn);
      // ResultSetMetaData comes from dataset_schema, the accessors from the DoGet vectors.
      if (t.schema != null) {
        String d = typeDiff(datasetSchema().getFields(), t.schema.getFields(), "", true);
        check(d == null, "[%s] prepared dataset_schema differs from the result: %s%n    dataset_schema: %s%n    result:         %s",
            sql, d, describe(datasetSchema()), describe(t.schema));
        String n = nullabilityDiff(datasetSchema().getFields(), t.schema.getFields(), "");
        if (n != null) {
          replay.warn("[" + sql + "] dataset_schema and result differ in nullability: " + n);
        }
      }
      return t;
    }

    @Override
    public void close() {
      ps.close(conn.opts()); // ClosePreparedStatement, as Statement.close() does
    }
  }

  /** Records response headers of Handshake calls (authorization / set-cookie). */
  static final class HeaderRecorder implements FlightClientMiddleware.Factory {
    volatile String handshakeAuthorization;
    volatile String handshakeCookie;

    @Override
    public FlightClientMiddleware onCallStarted(CallInfo info) {
      boolean handshake = info.method() != null && info.method().name().contains("HANDSHAKE");
      return new FlightClientMiddleware() {
        @Override public void onBeforeSendingHeaders(CallHeaders outgoing) {}

        @Override
        public void onHeadersReceived(CallHeaders incoming) {
          if (handshake) {
            handshakeAuthorization = incoming.get("authorization");
            handshakeCookie = incoming.get("set-cookie");
          }
        }

        @Override public void onCallCompleted(CallStatus status) {}
      };
    }

    String describeHandshake() {
      String auth = handshakeAuthorization == null ? "none"
          : handshakeAuthorization.length() > 16 ? handshakeAuthorization.substring(0, 16) + "..." : handshakeAuthorization;
      return "authorization=" + auth + ", set-cookie=" + (handshakeCookie == null ? "none" : handshakeCookie);
    }
  }

  /** One "JDBC connection": FlightClient with cookie middleware + Basic Handshake -> Bearer. */
  static final class Connection implements AutoCloseable {
    final FlightClient client;
    final FlightSqlClient sql;
    final HeaderRecorder recorder = new HeaderRecorder();
    CredentialCallOption bearer;

    private Connection(FlightSqlClientReplay replay, String host, int port, boolean cookies) {
      FlightClient.Builder b = FlightClient.builder(replay.allocator, Location.forGrpcInsecure(host, port))
          .intercept(recorder);
      if (cookies) {
        b.intercept(new ClientCookieMiddleware.Factory()); // the JDBC driver always registers it
      }
      client = b.build();
      sql = new FlightSqlClient(client);
    }

    static Connection open(FlightSqlClientReplay replay, String user, String password, boolean cookies) {
      return open(replay, replay.host, replay.port, user, password, cookies);
    }

    static Connection open(FlightSqlClientReplay replay, String host, int port, String user, String password, boolean cookies) {
      Connection c = new Connection(replay, host, port, cookies);
      try {
        c.bearer = c.client.authenticateBasicToken(user, password).orElse(null);
      } catch (RuntimeException e) {
        c.close();
        throw e;
      }
      return c;
    }

    CallOption[] opts() {
      CallOption timeout = CallOptions.timeout(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      return bearer == null ? new CallOption[] {timeout} : new CallOption[] {bearer, timeout};
    }

    @Override
    public void close() {
      try {
        sql.close(); // closes the FlightClient too
      } catch (Exception e) {
        // ignore
      }
    }
  }
}
