//! The 22 queries, compiled in from `benchmarks/queries/` (the copy the tests read too),
//! and the `--queries` selection.

use std::fmt;
use std::str::FromStr;

const QUERY_TEXTS: [&str; 22] = [
    include_str!("../../queries/q01.sql"),
    include_str!("../../queries/q02.sql"),
    include_str!("../../queries/q03.sql"),
    include_str!("../../queries/q04.sql"),
    include_str!("../../queries/q05.sql"),
    include_str!("../../queries/q06.sql"),
    include_str!("../../queries/q07.sql"),
    include_str!("../../queries/q08.sql"),
    include_str!("../../queries/q09.sql"),
    include_str!("../../queries/q10.sql"),
    include_str!("../../queries/q11.sql"),
    include_str!("../../queries/q12.sql"),
    include_str!("../../queries/q13.sql"),
    include_str!("../../queries/q14.sql"),
    include_str!("../../queries/q15.sql"),
    include_str!("../../queries/q16.sql"),
    include_str!("../../queries/q17.sql"),
    include_str!("../../queries/q18.sql"),
    include_str!("../../queries/q19.sql"),
    include_str!("../../queries/q20.sql"),
    include_str!("../../queries/q21.sql"),
    include_str!("../../queries/q22.sql"),
];

/// The statements of query `number` (1–22). Query 15 has three: it creates a view,
/// selects, and drops the view.
pub fn query_statements(number: usize) -> Vec<&'static str> {
    QUERY_TEXTS
        .get(number.wrapping_sub(1))
        .map(|text| {
            text.split(';')
                .map(str::trim)
                .filter(|statement| !statement.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Which queries to run: `1-22`, `3`, `1,3,5-7`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuerySet(Vec<usize>);

impl QuerySet {
    /// The query numbers in the order given.
    pub fn numbers(&self) -> &[usize] {
        &self.0
    }
}

impl Default for QuerySet {
    fn default() -> Self {
        Self((1..=QUERY_TEXTS.len()).collect())
    }
}

impl FromStr for QuerySet {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let number = |part: &str| -> Result<usize, String> {
            let number: usize = part
                .trim()
                .parse()
                .map_err(|_| format!("`{part}` is not a query number"))?;
            if (1..=QUERY_TEXTS.len()).contains(&number) {
                Ok(number)
            } else {
                Err(format!(
                    "there is no TPC-H query {number}: expected 1 to 22"
                ))
            }
        };
        let mut numbers = Vec::new();
        for item in text.split(',') {
            match item.split_once('-') {
                Some((first, last)) => {
                    let (first, last) = (number(first)?, number(last)?);
                    if first > last {
                        return Err(format!("the range {item} is empty"));
                    }
                    numbers.extend(first..=last);
                }
                None => numbers.push(number(item)?),
            }
        }
        Ok(Self(numbers))
    }
}

impl fmt::Display for QuerySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let numbers: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&numbers.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges_and_lists() {
        assert_eq!("1-22".parse::<QuerySet>().unwrap(), QuerySet::default());
        assert_eq!(
            "1,3,5-7".parse::<QuerySet>().unwrap().numbers(),
            &[1, 3, 5, 6, 7]
        );
    }

    #[test]
    fn refuses_numbers_outside_1_to_22_and_empty_ranges() {
        for bad in ["0", "23", "x", "5-3", "1-"] {
            assert!(bad.parse::<QuerySet>().is_err(), "{bad}");
        }
    }

    #[test]
    fn query_15_has_three_statements_and_the_rest_one() {
        for number in 1..=22 {
            let expected = if number == 15 { 3 } else { 1 };
            assert_eq!(query_statements(number).len(), expected, "q{number}");
        }
    }
}
