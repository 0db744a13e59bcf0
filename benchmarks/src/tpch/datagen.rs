//! `tpch datagen`: the TPC-H tables as Parquet, several files per large table so that
//! scans have partitions.

use std::path::Path;
use std::time::Instant;

use crate::error::Result;

/// Writes the tables at `scale` under `output` in `parts` files per large table and says
/// how long it took.
pub fn datagen(scale: f64, parts: usize, output: &Path) -> Result<()> {
    let started = Instant::now();
    trebuchet_flight_sql_server::write_tpch_parquet(scale, output, parts)?;
    println!(
        "TPC-H scale {scale} written to {} in {parts} parts per large table ({:.1} s)",
        output.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
