//! `GetXdbcTypeInfo`: the SQL types DataFusion accepts in DDL and casts, described for
//! ODBC-style clients (flightsql-dbapi asks; JDBC does not).

use std::sync::LazyLock;

use arrow_flight::sql::metadata::{XdbcTypeInfo, XdbcTypeInfoData, XdbcTypeInfoDataBuilder};
use arrow_flight::sql::{Nullable, Searchable, XdbcDataType, XdbcDatetimeSubcode};

/// The type table, built once.
pub(crate) fn xdbc_type_info_data() -> &'static XdbcTypeInfoData {
    static DATA: LazyLock<XdbcTypeInfoData> = LazyLock::new(|| {
        let mut builder = XdbcTypeInfoDataBuilder::new();
        for info in types() {
            builder.append(info);
        }
        builder
            .build()
            .expect("the type table is statically well-formed")
    });
    &DATA
}

fn types() -> Vec<XdbcTypeInfo> {
    use XdbcDataType as T;
    vec![
        numeric("TINYINT", T::XdbcTinyint, 3),
        numeric("SMALLINT", T::XdbcSmallint, 5),
        numeric("INTEGER", T::XdbcInteger, 10),
        numeric("BIGINT", T::XdbcBigint, 19),
        numeric("REAL", T::XdbcReal, 7),
        numeric("DOUBLE", T::XdbcDouble, 15),
        XdbcTypeInfo {
            create_params: Some(vec!["precision".into(), "scale".into()]),
            minimum_scale: Some(0),
            maximum_scale: Some(38),
            fixed_prec_scale: true,
            ..numeric("DECIMAL", T::XdbcDecimal, 38)
        },
        XdbcTypeInfo {
            type_name: "BOOLEAN".into(),
            data_type: T::XdbcBit,
            sql_data_type: T::XdbcBit,
            column_size: Some(1),
            nullable: Nullable::NullabilityNullable,
            searchable: Searchable::Basic,
            ..Default::default()
        },
        text("VARCHAR", T::XdbcVarchar),
        text("CHAR", T::XdbcChar),
        XdbcTypeInfo {
            type_name: "BYTEA".into(),
            data_type: T::XdbcVarbinary,
            sql_data_type: T::XdbcVarbinary,
            nullable: Nullable::NullabilityNullable,
            searchable: Searchable::Basic,
            ..Default::default()
        },
        datetime(
            "DATE",
            T::XdbcDate,
            XdbcDatetimeSubcode::XdbcSubcodeYear,
            10,
        ), // ODBC code 1 is DATE,
        datetime(
            "TIME",
            T::XdbcTime,
            XdbcDatetimeSubcode::XdbcSubcodeTime,
            15,
        ),
        datetime(
            "TIMESTAMP",
            T::XdbcTimestamp,
            XdbcDatetimeSubcode::XdbcSubcodeTimestamp,
            26,
        ),
    ]
}

fn numeric(name: &str, data_type: XdbcDataType, precision: i32) -> XdbcTypeInfo {
    XdbcTypeInfo {
        type_name: name.into(),
        data_type,
        sql_data_type: data_type,
        column_size: Some(precision),
        nullable: Nullable::NullabilityNullable,
        searchable: Searchable::Basic,
        unsigned_attribute: Some(false),
        auto_increment: Some(false),
        num_prec_radix: Some(10),
        ..Default::default()
    }
}

fn text(name: &str, data_type: XdbcDataType) -> XdbcTypeInfo {
    XdbcTypeInfo {
        type_name: name.into(),
        data_type,
        sql_data_type: data_type,
        literal_prefix: Some("'".into()),
        literal_suffix: Some("'".into()),
        nullable: Nullable::NullabilityNullable,
        case_sensitive: true,
        searchable: Searchable::Full,
        ..Default::default()
    }
}

fn datetime(
    name: &str,
    data_type: XdbcDataType,
    subcode: XdbcDatetimeSubcode,
    size: i32,
) -> XdbcTypeInfo {
    XdbcTypeInfo {
        type_name: name.into(),
        data_type: XdbcDataType::XdbcDatetime,
        sql_data_type: data_type,
        datetime_subcode: Some(subcode),
        column_size: Some(size),
        literal_prefix: Some("'".into()),
        literal_suffix: Some("'".into()),
        nullable: Nullable::NullabilityNullable,
        searchable: Searchable::Basic,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_type_and_filters_by_data_type() {
        let data = xdbc_type_info_data();
        assert_eq!(data.record_batch(None).unwrap().num_rows(), types().len());
        let integers = data
            .record_batch(Some(XdbcDataType::XdbcInteger as i32))
            .unwrap();
        assert_eq!(integers.num_rows(), 1);
    }
}
