//! Human-readable byte sizes, as our users write them on the command line.
//!
//! SI suffixes (KB, MB, GB, TB) are powers of 10 and IEC suffixes (KiB, MiB, GiB, TiB)
//! powers of 2, as the tuning guide promises; a bare number is a byte count.

use std::fmt;
use std::str::FromStr;

use crate::error::ClusterError;

/// A number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// The size in bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }
}

const UNITS: &[(&str, u64)] = &[
    ("B", 1),
    ("KB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("TB", 1_000_000_000_000),
    ("KIB", 1 << 10),
    ("MIB", 1 << 20),
    ("GIB", 1 << 30),
    ("TIB", 1 << 40),
];

impl FromStr for ByteSize {
    type Err = ClusterError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let invalid = || ClusterError::ParseByteSize {
            input: input.to_string(),
        };
        let text = input.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let unit = unit.trim().to_ascii_uppercase();
        let multiplier = if unit.is_empty() {
            1
        } else {
            UNITS
                .iter()
                .find(|(name, _)| *name == unit)
                .map(|(_, multiplier)| *multiplier)
                .ok_or_else(invalid)?
        };
        if number.is_empty() {
            return Err(invalid());
        }
        if let Ok(whole) = number.parse::<u64>() {
            return whole
                .checked_mul(multiplier)
                .map(ByteSize)
                .ok_or_else(invalid);
        }
        let fraction: f64 = number.parse().map_err(|_| invalid())?;
        let bytes = fraction * multiplier as f64;
        if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
            return Err(invalid());
        }
        Ok(ByteSize(bytes.round() as u64))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut value = self.0 as f64;
        for unit in ["B", "KiB", "MiB", "GiB"] {
            if value < 1024.0 {
                return write!(f, "{value:.0}{unit}");
            }
            value /= 1024.0;
        }
        write!(f, "{value:.1}TiB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> u64 {
        text.parse::<ByteSize>().unwrap().bytes()
    }

    #[test]
    fn si_suffixes_are_powers_of_ten() {
        assert_eq!(parse("8GB"), 8_000_000_000);
        assert_eq!(parse("1kb"), 1_000);
        assert_eq!(parse("2 MB"), 2_000_000);
        assert_eq!(parse("1TB"), 1_000_000_000_000);
    }

    #[test]
    fn iec_suffixes_are_powers_of_two() {
        assert_eq!(parse("512MiB"), 512 << 20);
        assert_eq!(parse("1KiB"), 1024);
        assert_eq!(parse("64mib"), 64 << 20);
        assert_eq!(parse("1.5GiB"), 3 << 29);
    }

    #[test]
    fn plain_numbers_are_byte_counts() {
        assert_eq!(parse("1048576"), 1_048_576);
        assert_eq!(parse("12B"), 12);
    }

    #[test]
    fn rejects_unknown_units_and_garbage_with_the_accepted_forms() {
        for bad in ["", "GB", "12XB", "-1", "1.2.3MB", "99999999999999999999TiB"] {
            let err = bad.parse::<ByteSize>().unwrap_err().to_string();
            assert!(err.contains("KiB"), "{bad}: {err}");
        }
    }
}
