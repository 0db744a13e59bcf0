//! [`FlightDataStream`]: record batches encoded as Flight data exactly as their schema
//! says.
//!
//! arrow-flight's own encoder rewrites the schema it sends (`LargeList` becomes `List`,
//! dictionaries become their values unless resent) and casts the columns to match, so a
//! client sees other types than the plan produced: a `FlightInfo` announcing
//! `large_list` is followed by a stream of `list`, and a shuffle's reader gets another
//! schema than its writer's. This one sends the schema as it is, then each batch's
//! dictionaries and the batch, as an Arrow IPC stream would.
//!
//! ```text
//!   Schema ─▶ [DictionaryBatch…] RecordBatch ─▶ [DictionaryBatch…] RecordBatch ─▶ …
//! ```
//!
//! Bodies are never compressed: the JDBC driver cannot read LZ4 or ZSTD ones.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::compute::cast;
use arrow::datatypes::SchemaRef;
use arrow::ipc::writer::{DictionaryTracker, IpcDataGenerator, IpcWriteContext, IpcWriteOptions};
use arrow_flight::FlightData;
use arrow_flight::encode::GRPC_TARGET_MAX_FLIGHT_SIZE_BYTES;
use arrow_flight::error::FlightError;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};

use crate::batch_bytes::own_bytes;

/// A stream of [`FlightData`] carrying record batches with the types of their schema:
/// the schema message first, then for each batch the dictionaries it needs and the
/// batch, split into row slices of at most about `max_flight_data_size` bytes.
///
/// arrow-flight's `FlightRecordBatchStream` reads it back. An error of the batches ends
/// the stream with that error.
pub struct FlightDataStream {
    batches: BoxStream<'static, Result<RecordBatch, FlightError>>,
    /// The schema every message follows: given up front, or the first batch's.
    schema: Option<SchemaRef>,
    schema_sent: bool,
    max_flight_data_size: usize,
    options: IpcWriteOptions,
    generator: IpcDataGenerator,
    /// Numbers the dictionaries when the schema is sent and remembers which ones the
    /// reader has, so each is sent again only when it changes.
    dictionaries: DictionaryTracker,
    context: IpcWriteContext,
    queue: VecDeque<FlightData>,
    done: bool,
}

impl FlightDataStream {
    /// Encodes `batches`; the schema is the first batch's unless [`Self::with_schema`]
    /// gives it, and nothing at all is sent when there is neither.
    pub fn new<S>(batches: S) -> Self
    where
        S: Stream<Item = Result<RecordBatch, FlightError>> + Send + 'static,
    {
        Self {
            batches: batches.boxed(),
            schema: None,
            schema_sent: false,
            max_flight_data_size: GRPC_TARGET_MAX_FLIGHT_SIZE_BYTES,
            // No compression: JDBC cannot read compressed bodies.
            options: IpcWriteOptions::default(),
            generator: IpcDataGenerator::default(),
            // Replaced dictionaries are resent whole: the decoder replaces its copy.
            dictionaries: DictionaryTracker::new(false),
            context: IpcWriteContext::default(),
            queue: VecDeque::new(),
            done: false,
        }
    }

    /// Sends `schema` first, even when no batch follows: clients expect one.
    pub fn with_schema(mut self, schema: SchemaRef) -> Self {
        self.schema = Some(schema);
        self
    }

    /// Splits batches into messages of about `bytes` at most (2 MiB unless set), so
    /// they stay under gRPC's message limit.
    pub fn with_max_flight_data_size(mut self, bytes: usize) -> Self {
        self.max_flight_data_size = bytes.max(1);
        self
    }

    /// Queues the schema message; it numbers the dictionaries the batches then use.
    fn send_schema(&mut self, schema: &SchemaRef) {
        let encoded = self.generator.schema_to_bytes_with_dictionary_tracker(
            schema,
            &mut self.dictionaries,
            &self.options,
        );
        self.queue.push_back(encoded.into());
        self.schema_sent = true;
    }

    /// Queues `batch`'s dictionaries and row slices.
    fn send_batch(&mut self, batch: RecordBatch) -> Result<(), FlightError> {
        let schema = match &self.schema {
            Some(schema) => Arc::clone(schema),
            None => {
                let schema = batch.schema();
                self.schema = Some(Arc::clone(&schema));
                schema
            }
        };
        if !self.schema_sent {
            self.send_schema(&schema);
        }
        let batch = conform(batch, schema)?;
        let slices = split_by_rows(&batch, self.max_flight_data_size);
        let last = slices.len().saturating_sub(1);
        for (i, slice) in slices.into_iter().enumerate() {
            // Keep the scratch buffer only while more slices follow.
            self.context.set_reserve_scratch(i != last);
            let (dictionaries, encoded) = self.generator.encode(
                &slice,
                &mut self.dictionaries,
                &self.options,
                &mut self.context,
            )?;
            self.queue
                .extend(dictionaries.into_iter().map(FlightData::from));
            self.queue.push_back(encoded.into());
        }
        Ok(())
    }
}

impl Stream for FlightDataStream {
    type Item = Result<FlightData, FlightError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if !this.schema_sent
            && let Some(schema) = this.schema.clone()
        {
            this.send_schema(&schema);
        }
        loop {
            if let Some(message) = this.queue.pop_front() {
                return Poll::Ready(Some(Ok(message)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            let outcome = match futures::ready!(this.batches.poll_next_unpin(cx)) {
                None => Ok(()),
                Some(Ok(batch)) => match this.send_batch(batch) {
                    Ok(()) => continue,
                    Err(err) => Err(err),
                },
                Some(Err(err)) => Err(err),
            };
            this.done = true;
            if let Err(err) = outcome {
                // Nothing of a batch that failed to encode is sent.
                this.queue.clear();
                return Poll::Ready(Some(Err(err)));
            }
        }
    }
}

impl fmt::Debug for FlightDataStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlightDataStream")
            .field("schema", &self.schema)
            .field("schema_sent", &self.schema_sent)
            .field("max_flight_data_size", &self.max_flight_data_size)
            .field("queued", &self.queue.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// `batch` under `schema`, the one the reader decodes it with; a column of another
/// type (say, a nested field named differently) is cast to the schema's.
fn conform(batch: RecordBatch, schema: SchemaRef) -> Result<RecordBatch, FlightError> {
    if batch.schema_ref() == &schema {
        return Ok(batch);
    }
    if batch.num_columns() != schema.fields().len() {
        return Err(FlightError::ProtocolError(format!(
            "a batch of {} columns in a stream whose schema has {}",
            batch.num_columns(),
            schema.fields().len()
        )));
    }
    let columns = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(field, column)| {
            if column.data_type() == field.data_type() {
                Ok(Arc::clone(column))
            } else {
                cast(column, field.data_type())
            }
        })
        .collect::<Result<Vec<ArrayRef>, _>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        schema, columns, &options,
    )?)
}

/// `batch` as zero-copy row slices of about `max_bytes` each, as arrow-flight splits
/// them. A batch without rows gives none: there is nothing to send.
///
/// The bytes counted are those of the batch's own rows. A batch decoded from a file
/// segment shares that segment's buffers with its neighbours, and counting whole buffers
/// cut it into slices of a few hundred rows, as many as the segment held batches: more
/// messages, and, for the JDBC driver, whose `setMaxRows` counts rows per batch, a limit
/// that is not applied.
fn split_by_rows(batch: &RecordBatch, max_bytes: usize) -> Vec<RecordBatch> {
    let slices = own_bytes(batch).div_ceil(max_bytes).max(1);
    let rows = batch.num_rows();
    let rows_per_slice = (rows / slices).max(1);
    (0..rows)
        .step_by(rows_per_slice)
        .map(|offset| batch.slice(offset, rows_per_slice.min(rows - offset)))
        .collect()
}

#[cfg(test)]
mod tests {
    use arrow::array::{
        Array, DictionaryArray, Int32Array, Int64Array, LargeListArray, ListArray, ListBuilder,
        StringArray, StringDictionaryBuilder, StructArray,
    };
    use arrow::compute::concat_batches;
    use arrow::datatypes::{DataType, Field, Int32Type, Int64Type, Schema};
    use arrow::ipc::{MessageHeader, root_as_message};
    use arrow_flight::decode::FlightRecordBatchStream;
    use futures::TryStreamExt;

    use super::*;

    /// What a reader gets from `batches` sent through [`FlightDataStream`].
    struct RoundTrip {
        messages: Vec<FlightData>,
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
    }

    impl RoundTrip {
        /// How many messages of each kind were sent: (dictionaries, record batches).
        fn counts(&self) -> (usize, usize) {
            let header =
                |message: &FlightData| root_as_message(&message.data_header).unwrap().header_type();
            let count = |kind| {
                self.messages
                    .iter()
                    .filter(|message| header(message) == kind)
                    .count()
            };
            (
                count(MessageHeader::DictionaryBatch),
                count(MessageHeader::RecordBatch),
            )
        }
    }

    async fn round_trip(stream: FlightDataStream) -> RoundTrip {
        let messages: Vec<FlightData> = stream.try_collect().await.unwrap();
        let sent = futures::stream::iter(messages.clone().into_iter().map(Ok));
        let mut decoded = FlightRecordBatchStream::new_from_flight_data(sent);
        let mut batches = Vec::new();
        while let Some(batch) = decoded.try_next().await.unwrap() {
            batches.push(batch);
        }
        let schema = Arc::clone(decoded.schema().expect("a schema message was sent"));
        RoundTrip {
            messages,
            schema,
            batches,
        }
    }

    fn sent(batches: Vec<RecordBatch>) -> FlightDataStream {
        FlightDataStream::new(futures::stream::iter(batches.into_iter().map(Ok)))
    }

    /// Sends `batches` and asserts the reader gets them back as they were.
    async fn assert_round_trips(batches: Vec<RecordBatch>) -> RoundTrip {
        let schema = batches[0].schema();
        let got = round_trip(sent(batches.clone()).with_schema(Arc::clone(&schema))).await;
        assert_eq!(got.schema, schema);
        assert_eq!(got.batches, batches);
        got
    }

    fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter_with_nullable(
            columns
                .into_iter()
                .map(|(name, column)| (name, column, true)),
        )
        .unwrap()
    }

    fn strings_dictionary(values: &[Option<&str>]) -> ArrayRef {
        Arc::new(
            values
                .iter()
                .copied()
                .collect::<DictionaryArray<Int32Type>>(),
        )
    }

    #[tokio::test]
    async fn large_lists_stay_large_lists() {
        let lists = LargeListArray::from_iter_primitive::<Int64Type, _, _>([
            Some(vec![Some(1), Some(2)]),
            None,
            Some(vec![]),
        ]);
        let got = assert_round_trips(vec![batch(vec![("l", Arc::new(lists))])]).await;
        assert!(matches!(
            got.schema.field(0).data_type(),
            DataType::LargeList(_)
        ));
    }

    #[tokio::test]
    async fn lists_round_trip() {
        let lists = ListArray::from_iter_primitive::<Int32Type, _, _>([
            Some(vec![Some(1), None]),
            None,
            Some(vec![Some(3)]),
        ]);
        assert_round_trips(vec![batch(vec![("l", Arc::new(lists))])]).await;
    }

    #[tokio::test]
    async fn dictionaries_stay_dictionaries_and_are_sent_when_they_change() {
        let first = batch(vec![
            ("k", strings_dictionary(&[Some("a"), Some("b"), Some("a")])),
            ("v", Arc::new(Int64Array::from(vec![1, 2, 3]))),
        ]);
        let same = first.clone();
        let other = batch(vec![
            ("k", strings_dictionary(&[Some("c"), None])),
            ("v", Arc::new(Int64Array::from(vec![4, 5]))),
        ]);
        let got = assert_round_trips(vec![first, same, other]).await;
        assert!(matches!(
            got.schema.field(0).data_type(),
            DataType::Dictionary(_, _)
        ));
        assert_eq!(got.counts(), (2, 3));
    }

    #[tokio::test]
    async fn dictionaries_inside_lists_and_structs_round_trip() {
        let mut lists = ListBuilder::new(StringDictionaryBuilder::<Int32Type>::new());
        lists.values().append_value("x");
        lists.values().append_value("y");
        lists.append(true);
        lists.append(false);
        lists.values().append_value("x");
        lists.append(true);
        let lists: ArrayRef = Arc::new(lists.finish());
        let fields = StructArray::from(vec![
            (
                Arc::new(Field::new("id", DataType::Int32, true)),
                Arc::new(Int32Array::from(vec![Some(1), None, Some(3)])) as ArrayRef,
            ),
            (
                Arc::new(Field::new(
                    "tag",
                    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
                    true,
                )),
                strings_dictionary(&[Some("p"), Some("q"), None]),
            ),
        ]);
        let top = strings_dictionary(&[Some("t"), Some("t"), Some("u")]);
        let batches = vec![batch(vec![
            ("tags", lists),
            ("s", Arc::new(fields)),
            ("k", top),
        ])];
        let got = assert_round_trips(batches).await;
        assert_eq!(got.counts(), (3, 1));
    }

    #[tokio::test]
    async fn structs_round_trip() {
        let fields = StructArray::from(vec![
            (
                Arc::new(Field::new("n", DataType::Int64, true)),
                Arc::new(Int64Array::from(vec![Some(7), None])) as ArrayRef,
            ),
            (
                Arc::new(Field::new("s", DataType::Utf8, true)),
                Arc::new(StringArray::from(vec![None, Some("z")])) as ArrayRef,
            ),
        ]);
        assert_round_trips(vec![batch(vec![("st", Arc::new(fields))])]).await;
    }

    #[tokio::test]
    async fn batches_without_columns_keep_their_row_count() {
        // count(*) over a projection of nothing: IPC carries the row count in the header.
        let options = RecordBatchOptions::new().with_row_count(Some(5));
        let empty =
            RecordBatch::try_new_with_options(Arc::new(Schema::empty()), vec![], &options).unwrap();
        let got = assert_round_trips(vec![empty]).await;
        assert_eq!(got.batches[0].num_rows(), 5);
    }

    #[tokio::test]
    async fn big_batches_are_split_into_small_messages() {
        const MAX_BYTES: usize = 64 << 10;
        let values = Int64Array::from_iter_values(0..100_000);
        let keys = (0..100_000)
            .map(|i| Some(["a", "b", "c"][i % 3]))
            .collect::<Vec<_>>();
        let big = batch(vec![
            ("v", Arc::new(values)),
            ("k", strings_dictionary(&keys)),
        ]);
        let schema = big.schema();
        let stream = sent(vec![big.clone()]).with_max_flight_data_size(MAX_BYTES);
        let got = round_trip(stream).await;
        assert_eq!(got.schema, schema);
        let (dictionaries, batches) = got.counts();
        // The slices share the dictionary: it is sent once.
        assert_eq!(dictionaries, 1);
        assert!(batches > 10, "{batches} messages");
        for message in &got.messages {
            assert!(message.data_body.len() <= 2 * MAX_BYTES);
        }
        assert_eq!(concat_batches(&schema, &got.batches).unwrap(), big);
    }

    #[tokio::test]
    async fn a_slice_of_a_larger_batch_is_measured_by_its_own_rows() {
        const MAX_BYTES: usize = 64 << 10;
        // 800 KB of buffers, of which the slice's 1000 rows are 8 KB: one message.
        let big = batch(vec![(
            "v",
            Arc::new(Int64Array::from_iter_values(0..100_000)),
        )]);
        let slice = big.slice(5_000, 1_000);
        let got = round_trip(sent(vec![slice.clone()]).with_max_flight_data_size(MAX_BYTES)).await;
        assert_eq!(got.counts().1, 1, "the slice was cut into several messages");
        assert_eq!(got.batches, vec![slice]);
    }

    #[tokio::test]
    async fn a_known_schema_is_sent_even_without_batches() {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "l",
            DataType::LargeList(Arc::new(Field::new_list_field(DataType::Int64, true))),
            true,
        )]));
        let got = round_trip(sent(vec![]).with_schema(Arc::clone(&schema))).await;
        assert_eq!(got.schema, schema);
        assert!(got.batches.is_empty());
    }

    #[tokio::test]
    async fn an_error_ends_the_stream() {
        let one = batch(vec![("v", Arc::new(Int64Array::from(vec![1])) as ArrayRef)]);
        let batches = vec![
            Ok(one.clone()),
            Err(FlightError::ProtocolError("boom".to_string())),
            Ok(one),
        ];
        let results: Vec<_> = FlightDataStream::new(futures::stream::iter(batches))
            .collect()
            .await;
        // Schema, the first batch, then the error, and nothing after it.
        assert_eq!(results.len(), 3);
        assert!(results[..2].iter().all(Result::is_ok));
        assert!(matches!(&results[2], Err(FlightError::ProtocolError(m)) if m == "boom"));
    }

    #[tokio::test]
    async fn batches_are_sent_under_the_given_schema() {
        // The same list, its item field named differently than the schema says.
        let lists = ListArray::from_iter_primitive::<Int32Type, _, _>([Some(vec![Some(1)])]);
        let item = Arc::new(Field::new("element", DataType::Int32, true));
        let schema = Arc::new(Schema::new(vec![Field::new(
            "l",
            DataType::List(item),
            true,
        )]));
        let got = round_trip(
            sent(vec![batch(vec![("l", Arc::new(lists))])]).with_schema(Arc::clone(&schema)),
        )
        .await;
        assert_eq!(got.schema, schema);
        assert_eq!(got.batches[0].schema(), schema);
        assert_eq!(got.batches[0].column(0).len(), 1);
    }
}
