//! Files holding many partitions back to back: the sort-based writer's consolidated data
//! file, indexed by its footer, and its spill files.
//!
//! ```text
//!   s2-m0-a1.arrow:  [ IPC stream of partition 0 ][ partition 1 ] … [ partition M-1 ]
//!                    offset_0  offset_1  …  offset_M  M        (little-endian u64 each)
//! ```
//!
//! Each segment is a complete Arrow IPC stream, so a reader needs nothing but its byte
//! range: partition `p` is `offset_p .. offset_p+1`, read from the footer. An empty
//! partition is an empty range. The index is the file's footer rather than a file of its
//! own: a map task creates one file, and a reader opens one (shuffle files live seconds,
//! and creating them is what costs, see `layout.rs`).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;

use crate::error::{Result, ShuffleError};

/// The batches of one partition, read from wherever they are stored.
pub type PartitionBatches = Box<dyn Iterator<Item = Result<RecordBatch>> + Send>;

/// Appends IPC-stream segments to one file and remembers where each one lies.
pub(crate) struct SegmentFileWriter {
    path: PathBuf,
    file: BufWriter<File>,
    position: u64,
}

impl SegmentFileWriter {
    pub(crate) fn create(path: PathBuf) -> Result<Self> {
        let write_error = |source| ShuffleError::WriteShuffleFile {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(write_error)?;
        }
        let file = File::create(&path).map_err(write_error)?;
        Ok(Self {
            file: BufWriter::new(file),
            path,
            position: 0,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `batches` as one IPC stream and returns its byte range and row count. No
    /// batches, no bytes: the range is empty.
    pub(crate) fn write_segment(
        &mut self,
        schema: &SchemaRef,
        batches: impl IntoIterator<Item = Result<RecordBatch>>,
    ) -> Result<(Range<u64>, u64)> {
        let start = self.position;
        let mut batches = batches
            .into_iter()
            .filter(|batch| batch.as_ref().map_or(true, |batch| batch.num_rows() > 0));
        let Some(first) = batches.next() else {
            return Ok((start..start, 0));
        };
        let encode_error = |source| ShuffleError::EncodePartition {
            path: self.path.clone(),
            source,
        };
        let mut counting = CountingWriter {
            inner: &mut self.file,
            written: 0,
        };
        let mut stream = StreamWriter::try_new(&mut counting, schema).map_err(encode_error)?;
        let mut rows = 0;
        for batch in std::iter::once(first).chain(batches) {
            let batch = batch?;
            stream.write(&batch).map_err(encode_error)?;
            rows += batch.num_rows() as u64;
        }
        stream.finish().map_err(encode_error)?;
        drop(stream);
        self.position += counting.written;
        Ok((start..self.position, rows))
    }

    /// Writes the footer indexing the segments at `ranges` (in partition order, back to
    /// back) and flushes; returns the file's size.
    pub(crate) fn finish_indexed(mut self, ranges: &[Range<u64>]) -> Result<u64> {
        let mut footer = Vec::with_capacity((ranges.len() + 2) * 8);
        footer.extend_from_slice(&ranges.first().map_or(0, |range| range.start).to_le_bytes());
        for range in ranges {
            footer.extend_from_slice(&range.end.to_le_bytes());
        }
        footer.extend_from_slice(&(ranges.len() as u64).to_le_bytes());
        self.file
            .write_all(&footer)
            .map_err(|source| ShuffleError::WriteShuffleFile {
                path: self.path.clone(),
                source,
            })?;
        self.position += footer.len() as u64;
        self.finish()
    }

    /// Flushes everything written; returns the file's size.
    pub(crate) fn finish(mut self) -> Result<u64> {
        self.file
            .flush()
            .map_err(|source| ShuffleError::WriteShuffleFile {
                path: self.path.clone(),
                source,
            })?;
        Ok(self.position)
    }
}

/// Counts the bytes an IPC writer emits, so segments know their ranges without seeking.
struct CountingWriter<'a> {
    inner: &'a mut BufWriter<File>,
    written: u64,
}

impl Write for CountingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.written += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Reads entry `entry` of the indexed data file at `path` back, batch by batch, through
/// one open file: its footer gives the segment's range.
pub(crate) fn read_indexed_segment(path: &Path, entry: u32) -> Result<PartitionBatches> {
    let read_error = |source| ShuffleError::ReadShuffleFile {
        path: path.to_path_buf(),
        source,
    };
    let invalid = |message: String| {
        read_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            message,
        ))
    };
    let mut file = File::open(path).map_err(read_error)?;
    let mut read_u64s = |position: SeekFrom, words: &mut [u64]| -> std::io::Result<()> {
        file.seek(position)?;
        let mut bytes = vec![0u8; words.len() * 8];
        file.read_exact(&mut bytes)?;
        for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
            *word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        }
        Ok(())
    };
    let mut entries = [0u64];
    read_u64s(SeekFrom::End(-8), &mut entries).map_err(read_error)?;
    let entries = entries[0];
    if u64::from(entry) >= entries {
        return Err(invalid(format!(
            "index entry {entry} is past the last of {entries}"
        )));
    }
    // The footer: entries + 1 offsets, then the count.
    // Entry `entry`'s two offsets start this far from the end: a corrupt count must not
    // overflow, and a seek before the file's start is the OS's error.
    let first = entries
        .checked_add(2)
        .and_then(|words| words.checked_sub(u64::from(entry))?.checked_mul(8))
        .and_then(|bytes| i64::try_from(bytes).ok())
        .ok_or_else(|| invalid(format!("an index of {entries} entries")))?;
    let mut bounds = [0u64; 2];
    read_u64s(SeekFrom::End(-first), &mut bounds).map_err(read_error)?;
    let [start, end] = bounds;
    if end < start {
        return Err(invalid(format!(
            "index entry {entry} ends before it starts"
        )));
    }
    segment_of(path, file, start..end)
}

/// Reads the segment at `range` of `path` back, batch by batch.
pub(crate) fn read_segment(path: &Path, range: Range<u64>) -> Result<PartitionBatches> {
    if range.is_empty() {
        return Ok(Box::new(std::iter::empty()));
    }
    let read_error = |source| ShuffleError::ReadShuffleFile {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(read_error)?;
    segment_of(path, file, range)
}

/// The batches of the segment at `range` of `file`, opened from `path`.
fn segment_of(path: &Path, mut file: File, range: Range<u64>) -> Result<PartitionBatches> {
    if range.is_empty() {
        return Ok(Box::new(std::iter::empty()));
    }
    let read_error = |source| ShuffleError::ReadShuffleFile {
        path: path.to_path_buf(),
        source,
    };
    file.seek(SeekFrom::Start(range.start))
        .map_err(read_error)?;
    let segment = BufReader::new(file.take(range.end - range.start));
    let owned = path.to_path_buf();
    let reader =
        StreamReader::try_new(segment, None).map_err(|source| ShuffleError::DecodePartition {
            path: owned.clone(),
            source,
        })?;
    Ok(Box::new(reader.map(move |batch| {
        batch.map_err(|source| ShuffleError::DecodePartition {
            path: owned.clone(),
            source,
        })
    })))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int32Array;
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    fn batch(values: &[i32]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int32, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int32Array::from(values.to_vec()))]).unwrap()
    }

    fn values(batches: PartitionBatches) -> Vec<i32> {
        batches
            .flat_map(|batch| {
                let batch = batch.unwrap();
                let column = batch.column(0).as_any().downcast_ref::<Int32Array>();
                column.unwrap().values().to_vec()
            })
            .collect()
    }

    #[test]
    fn each_partition_reads_back_through_the_footer_alone() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data.arrow");
        let schema = batch(&[]).schema();
        let mut writer = SegmentFileWriter::create(data.clone()).unwrap();
        let partitions = [vec![batch(&[1, 2]), batch(&[3])], vec![], vec![batch(&[4])]];
        let mut ranges = Vec::new();
        for batches in &partitions {
            let (range, _rows) = writer
                .write_segment(&schema, batches.iter().cloned().map(Ok))
                .unwrap();
            ranges.push(range);
        }
        let size = writer.finish_indexed(&ranges).unwrap();
        assert_eq!(size, std::fs::metadata(&data).unwrap().len());
        assert_eq!(size, ranges[2].end + 5 * 8, "four offsets and the count");

        let read = |entry| values(read_indexed_segment(&data, entry).unwrap());
        assert_eq!(read(0), vec![1, 2, 3]);
        assert_eq!(read(1), Vec::<i32>::new());
        assert_eq!(read(2), vec![4]);
        assert!(
            read_indexed_segment(&data, 3).is_err(),
            "past the last entry"
        );
        // A file cut short, or no data file at all, is an error, not a panic.
        let cut = dir.path().join("cut.arrow");
        std::fs::write(&cut, &std::fs::read(&data).unwrap()[..size as usize - 3]).unwrap();
        assert!(read_indexed_segment(&cut, 0).is_err());
        std::fs::write(&cut, u64::MAX.to_le_bytes()).unwrap();
        assert!(read_indexed_segment(&cut, 0).is_err());
        assert!(read_indexed_segment(&dir.path().join("absent.arrow"), 0).is_err());
        // Each segment is still a range of the file, as Flight serves it.
        assert_eq!(
            values(read_segment(&data, ranges[0].clone()).unwrap()),
            vec![1, 2, 3]
        );
    }
}
