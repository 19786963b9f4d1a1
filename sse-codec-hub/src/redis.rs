//! The Redis Streams store: one stream per topic (`<prefix><topic>`),
//! `XADD ... MAXLEN ~ N` to publish, `XRANGE` to replay, and on each node
//! one reader per topic (`XREAD BLOCK` on its own connection) that fans out
//! to the node's subscribers.

use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, Cmd, Value};
use sse_codec_core::encoder::EventRef;
use sse_codec_core::Frame;

use crate::id::{parse_pair, Pos, ResetReason};
use crate::subscription::{Page, ReadFrom};
use crate::topic::{lock, Entry, Topic};
use crate::{Config, Error, HubInner};

impl From<redis::RedisError> for Error {
    fn from(error: redis::RedisError) -> Self {
        Error::Redis(error)
    }
}

/// How many entries one `XREAD` returns at most.
const READ_COUNT: usize = 512;
/// The first and the longest pause of a reader after an error.
const FIRST_PAUSE: Duration = Duration::from_millis(50);
const MAX_PAUSE: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub(crate) struct RedisStore {
    client: Client,
    /// The shared connection for publishing and history reads; dropped
    /// after an error and made again on the next command.
    connection: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    prefix: String,
    block: Duration,
    history: usize,
    max_age: Option<Duration>,
    timeout: Duration,
    runtime: tokio::runtime::Handle,
}

/// A stream entry as read: its position, type and data.
struct Raw {
    pos: Pos,
    event_type: Option<String>,
    data: String,
}

impl Raw {
    fn into_entry(self) -> Result<Entry, Error> {
        let id = self.pos.to_string();
        let frame = Frame::event(&EventRef {
            event_type: self.event_type.as_deref(),
            data: Some(&self.data),
            id: Some(&id),
            retry: None,
        })?;
        Ok(Entry {
            pos: self.pos,
            frame,
        })
    }
}

fn protocol(what: &str, value: &Value) -> Error {
    Error::Protocol(format!("{what}: {value:?}"))
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Value::SimpleString(text) => Some(text.clone()),
        _ => None,
    }
}

/// Reads the entries of an `XRANGE`/`XREVRANGE` reply (or of one stream in
/// an `XREAD` reply).
fn entries(value: &Value) -> Result<Vec<Raw>, Error> {
    let Value::Array(items) = value else {
        return Err(protocol("entries", value));
    };
    items
        .iter()
        .map(|item| {
            let Value::Array(pair) = item else {
                return Err(protocol("entry", item));
            };
            let [id, fields] = pair.as_slice() else {
                return Err(protocol("entry", item));
            };
            let pos = text(id)
                .as_deref()
                .and_then(parse_pair)
                .ok_or_else(|| protocol("entry ID", id))?;
            let Value::Array(fields) = fields else {
                return Err(protocol("fields", fields));
            };
            let mut raw = Raw {
                pos,
                event_type: None,
                data: String::new(),
            };
            for field in fields.chunks(2) {
                if let [name, value] = field {
                    match text(name).as_deref() {
                        Some("event") => raw.event_type = text(value),
                        Some("data") => raw.data = text(value).unwrap_or_default(),
                        _ => {}
                    }
                }
            }
            Ok(raw)
        })
        .collect()
}

/// Reads an `XREAD` reply for one stream (nil when it timed out).
fn read_reply(value: &Value) -> Result<Vec<Raw>, Error> {
    match value {
        Value::Nil => Ok(Vec::new()),
        Value::Array(streams) => match streams.as_slice() {
            [] => Ok(Vec::new()),
            [Value::Array(stream), ..] => match stream.as_slice() {
                [_key, list] => entries(list),
                _ => Err(protocol("XREAD stream", value)),
            },
            _ => Err(protocol("XREAD", value)),
        },
        Value::Map(streams) => match streams.first() {
            Some((_key, list)) => entries(list),
            None => Ok(Vec::new()),
        },
        _ => Err(protocol("XREAD", value)),
    }
}

impl RedisStore {
    pub(crate) async fn connect(
        url: &str,
        prefix: String,
        block: Duration,
        config: &Config,
    ) -> Result<RedisStore, Error> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime)?;
        let store = RedisStore {
            client: Client::open(url)?,
            connection: tokio::sync::Mutex::new(None),
            prefix,
            block,
            history: config.history,
            max_age: config.max_age,
            timeout: config.timeout,
            runtime,
        };
        store.query(&redis::cmd("PING")).await?;
        Ok(store)
    }

    fn key(&self, topic: &str) -> String {
        format!("{}{}", self.prefix, topic)
    }

    async fn open(&self, response_timeout: Duration) -> Result<MultiplexedConnection, Error> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(response_timeout));
        let connect = self
            .client
            .get_multiplexed_async_connection_with_config(&config);
        match tokio::time::timeout(self.timeout, connect).await {
            Ok(connection) => Ok(connection?),
            Err(_) => Err(Error::Timeout),
        }
    }

    /// Runs one command on the shared connection.
    async fn query(&self, cmd: &Cmd) -> Result<Value, Error> {
        let mut connection = {
            let mut slot = self.connection.lock().await;
            match &*slot {
                Some(connection) => connection.clone(),
                None => {
                    let connection = self.open(self.timeout).await?;
                    *slot = Some(connection.clone());
                    connection
                }
            }
        };
        let result = tokio::time::timeout(self.timeout, cmd.query_async::<Value>(&mut connection))
            .await
            .map_err(|_| Error::Timeout)
            .and_then(|reply| reply.map_err(Error::from));
        if result.is_err() {
            // Perhaps the connection broke: the next command makes a new one.
            *self.connection.lock().await = None;
        }
        result
    }

    pub(crate) async fn publish(&self, topic: &str, event: &EventRef<'_>) -> Result<String, Error> {
        let key = self.key(topic);
        let mut xadd = redis::cmd("XADD");
        xadd.arg(&key)
            .arg("MAXLEN")
            .arg("~")
            .arg(self.history)
            .arg("*");
        if let Some(event_type) = event.event_type.filter(|t| !t.is_empty()) {
            xadd.arg("event").arg(event_type);
        }
        xadd.arg("data").arg(event.data.unwrap_or(""));
        let reply = self.query(&xadd).await?;
        let id = text(&reply).ok_or_else(|| protocol("XADD", &reply))?;
        if let Some(age) = self.max_age {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis());
            let oldest = now.saturating_sub(age.as_millis());
            let mut xtrim = redis::cmd("XTRIM");
            xtrim
                .arg(&key)
                .arg("MINID")
                .arg("~")
                .arg(oldest.to_string());
            // Trimming by age is best effort: the event is published.
            let _ = self.query(&xtrim).await;
        }
        Ok(id)
    }

    async fn range(&self, key: &str, start: &str, count: usize) -> Result<Vec<Raw>, Error> {
        let mut xrange = redis::cmd("XRANGE");
        xrange.arg(key).arg(start).arg("+").arg("COUNT").arg(count);
        entries(&self.query(&xrange).await?)
    }

    /// A page of history: see [`From`].
    pub(crate) async fn read(
        &self,
        topic: &str,
        from: ReadFrom,
        limit: usize,
    ) -> Result<Page, Error> {
        let key = self.key(topic);
        let mut reset = None;
        if from == ReadFrom::Beginning && self.removed_any(&key).await? {
            reset = Some(ResetReason::Trimmed);
        }
        if let ReadFrom::After(pos) = from {
            // The cursor's own entry first: if it is there, history holds
            // everything after it.
            let mut raws = self
                .range(&key, &pos.to_string(), limit.saturating_add(1))
                .await?;
            if raws.first().is_some_and(|raw| raw.pos == pos) {
                raws.remove(0);
                let complete = raws.len() < limit;
                let entries = raws
                    .into_iter()
                    .map(Raw::into_entry)
                    .collect::<Result<_, _>>()?;
                return Ok(Page {
                    reset: None,
                    entries,
                    complete,
                });
            }
            let oldest = self.range(&key, "-", 1).await?;
            let trimmed = oldest.first().is_some_and(|raw| pos < raw.pos);
            reset = Some(if trimmed {
                ResetReason::Trimmed
            } else {
                ResetReason::Unknown
            });
        }
        let raws = self.range(&key, "-", limit).await?;
        let complete = raws.len() < limit;
        let entries = raws
            .into_iter()
            .map(Raw::into_entry)
            .collect::<Result<_, _>>()?;
        Ok(Page {
            reset,
            entries,
            complete,
        })
    }

    /// Whether the stream ever lost an entry (trimmed or deleted):
    /// `entries-added` (Redis 7) is larger than its length. A stream that
    /// does not exist lost nothing; an answer without the counter counts as
    /// a loss.
    async fn removed_any(&self, key: &str) -> Result<bool, Error> {
        let mut exists = redis::cmd("EXISTS");
        exists.arg(key);
        if matches!(self.query(&exists).await?, Value::Int(0)) {
            return Ok(false);
        }
        let mut xinfo = redis::cmd("XINFO");
        xinfo.arg("STREAM").arg(key);
        let reply = self.query(&xinfo).await?;
        let fields: Vec<(String, i64)> = match &reply {
            Value::Array(items) => items
                .chunks(2)
                .filter_map(|pair| match pair {
                    [name, Value::Int(n)] => Some((text(name)?, *n)),
                    _ => None,
                })
                .collect(),
            Value::Map(items) => items
                .iter()
                .filter_map(|(name, value)| match value {
                    Value::Int(n) => Some((text(name)?, *n)),
                    _ => None,
                })
                .collect(),
            _ => return Err(protocol("XINFO STREAM", &reply)),
        };
        let field = |wanted: &str| fields.iter().find(|(name, _)| name == wanted).map(|f| f.1);
        Ok(match (field("entries-added"), field("length")) {
            (Some(added), Some(length)) => added > length,
            _ => true,
        })
    }

    pub(crate) fn spawn_reader(
        self: &Arc<Self>,
        hub: Weak<HubInner>,
        topic: Arc<Topic>,
    ) -> Result<(), Error> {
        let store = self.clone();
        self.runtime
            .spawn(async move { store.run_reader(hub, topic).await });
        Ok(())
    }

    /// Follows one topic for this node until nobody here follows it.
    async fn run_reader(self: Arc<Self>, hub: Weak<HubInner>, topic: Arc<Topic>) {
        let key = self.key(&topic.name);
        let mut connection: Option<MultiplexedConnection> = None;
        let mut pause = FIRST_PAUSE;
        loop {
            match hub.upgrade() {
                Some(hub) if !hub.retire_if_idle(&topic) => {}
                _ => return,
            }
            let step = self.reader_step(&key, &topic, &mut connection).await;
            match step {
                Ok(()) => pause = FIRST_PAUSE,
                Err(_) => {
                    connection = None;
                    tokio::time::sleep(pause).await;
                    pause = pause.saturating_mul(2).min(MAX_PAUSE);
                }
            }
        }
    }

    async fn reader_step(
        &self,
        key: &str,
        topic: &Topic,
        connection: &mut Option<MultiplexedConnection>,
    ) -> Result<(), Error> {
        let connection = match connection {
            Some(connection) => connection,
            None => connection.insert(self.open(self.block.saturating_add(self.timeout)).await?),
        };
        let (ready, last) = {
            let state = lock(&topic.state);
            (state.ready, state.last_pos)
        };
        if !ready {
            let mut last = redis::cmd("XREVRANGE");
            last.arg(key).arg("+").arg("-").arg("COUNT").arg(1);
            let reply = last.query_async::<Value>(connection).await?;
            let last = entries(&reply)?.first().map(|raw| raw.pos);
            let mut state = lock(&topic.state);
            state.ready = true;
            state.init_pos = last;
            state.last_pos = last;
            drop(state);
            topic.ready.notify_waiters();
            return Ok(());
        }
        let after = last.unwrap_or(Pos { hi: 0, lo: 0 });
        let mut xread = redis::cmd("XREAD");
        xread
            .arg("COUNT")
            .arg(READ_COUNT)
            .arg("BLOCK")
            // Milliseconds, at least 1 (0 would block forever), at most u64::MAX.
            .arg(
                u64::try_from(self.block.as_millis())
                    .unwrap_or(u64::MAX)
                    .max(1),
            )
            .arg("STREAMS")
            .arg(key)
            .arg(after.to_string());
        let reply = xread.query_async::<Value>(connection).await?;
        let raws = read_reply(&reply)?;
        let mut fresh = Vec::with_capacity(raws.len());
        for raw in raws {
            fresh.push(raw.into_entry()?);
        }
        let mut state = lock(&topic.state);
        for entry in &fresh {
            if state.last_pos.is_none_or(|last| entry.pos > last) {
                state.fan_out(entry, &topic.counters);
            }
        }
        Ok(())
    }
}
