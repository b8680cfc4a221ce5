//! Where shared files' bytes live: one `Storage` handle over `object_store`, a directory
//! (`file://`, the default `<data>/files`) or an S3-compatible bucket (`s3://bucket`, with
//! the usual `AWS_*` variables and `HEARTH_S3_ENDPOINT`). Uploads stream in parts (a file
//! smaller than one part goes in one request), hashed and measured on the way; downloads
//! stream out, whole or by range. A store that does not answer fails within a few seconds
//! instead of object_store's minutes of retries.

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    ClientOptions, GetOptions, GetRange, GetResultPayload, ObjectStore, ObjectStoreExt, RetryConfig, WriteMultipart,
};
use sha2::{Digest, Sha256};

/// How long one request to the store may take, retries included.
const DEADLINE: Duration = Duration::from_secs(5);
/// Parts of a large upload in flight at once.
const PARTS_IN_FLIGHT: usize = 4;

/// A failure of the store itself (down, slow, refusing): answered as 503.
#[derive(Debug, thiserror::Error)]
#[error("file storage is unavailable: {0}")]
pub struct Unavailable(pub String);

impl From<object_store::Error> for Unavailable {
    fn from(e: object_store::Error) -> Self {
        Unavailable(e.to_string())
    }
}

/// The object store files are kept in.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// Where, for logs and the README's health line (no credentials in it).
    pub description: String,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage").field("description", &self.description).finish_non_exhaustive()
    }
}

impl Storage {
    /// Opens the store a URL names: `file:///path` (made if missing) or `s3://bucket`.
    pub fn open(url: &str, s3_endpoint: Option<&str>) -> anyhow::Result<Storage> {
        if let Some(path) = url.strip_prefix("file://") {
            std::fs::create_dir_all(path).with_context(|| format!("creating the file storage directory {path}"))?;
            let store = object_store::local::LocalFileSystem::new_with_prefix(path)
                .with_context(|| format!("opening the file storage directory {path}"))?
                .with_automatic_cleanup(true);
            return Ok(Storage { store: Arc::new(store), description: format!("directory {path}") });
        }
        if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) =
                rest.trim_end_matches('/').split_once('/').unwrap_or((rest.trim_end_matches('/'), ""));
            if bucket.is_empty() {
                anyhow::bail!("HEARTH_STORAGE_URL must be s3://<bucket> or s3://<bucket>/<prefix>, not {url}");
            }
            let retry = RetryConfig { max_retries: 2, retry_timeout: DEADLINE, ..RetryConfig::default() };
            let client = ClientOptions::new().with_timeout(DEADLINE).with_connect_timeout(Duration::from_secs(2));
            let mut builder = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .with_retry(retry)
                .with_client_options(client);
            if let Some(endpoint) = s3_endpoint.filter(|e| !e.is_empty()) {
                builder = builder
                    .with_endpoint(endpoint)
                    .with_allow_http(endpoint.starts_with("http://"))
                    .with_virtual_hosted_style_request(false);
            }
            let store = builder.build().with_context(|| format!("configuring the S3 bucket {bucket}"))?;
            let place = s3_endpoint.map_or_else(String::new, |e| format!(" at {e}"));
            let description = format!("S3 bucket {bucket}{place}");
            if prefix.is_empty() {
                return Ok(Storage { store: Arc::new(store), description });
            }
            let store = object_store::prefix::PrefixStore::new(store, prefix);
            return Ok(Storage { store: Arc::new(store), description: format!("{description}, under {prefix}/") });
        }
        anyhow::bail!("HEARTH_STORAGE_URL must start with file:// or s3://, not {url}")
    }

    /// Starts writing a new object under `key`. Nothing is sent until there is a part's
    /// worth of bytes: a smaller file is written whole, in one request, when it ends.
    pub fn begin(&self, key: &str) -> Upload {
        Upload {
            store: self.store.clone(),
            path: Path::from(key),
            writer: None,
            held: Vec::new(),
            held_bytes: 0,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    /// The object's bytes, whole or the range asked for, as they arrive, and the whole
    /// object's size.
    pub async fn read(&self, key: &str, range: Option<Range<u64>>) -> Result<Download, Unavailable> {
        let options = GetOptions { range: range.map(GetRange::Bounded), ..GetOptions::default() };
        let result = within(self.store.get_opts(&Path::from(key), options)).await?;
        let size = result.meta.size;
        let bytes = match result.payload {
            // object_store reads a file 8 KiB per blocking call; larger reads serve a big file
            // several times faster.
            GetResultPayload::File(file, _) => file_chunks(file, result.range),
            GetResultPayload::Stream(stream) => stream,
        };
        Ok(Download { size, bytes })
    }

    /// Writes a small object whole (a thumbnail).
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), Unavailable> {
        within(self.store.put(&Path::from(key), bytes.into())).await?;
        Ok(())
    }

    /// Every key stored, for an operator's check of what is kept (and the test suite's).
    pub async fn keys(&self) -> Result<Vec<String>, Unavailable> {
        use futures_util::TryStreamExt;
        let listed = self.store.list(None).map_ok(|meta| meta.location.to_string()).try_collect();
        within(listed).await
    }

    /// Removes an object (one already gone is no error).
    pub async fn remove(&self, key: &str) -> Result<(), Unavailable> {
        match tokio::time::timeout(DEADLINE, self.store.delete(&Path::from(key))).await {
            Ok(Ok(()) | Err(object_store::Error::NotFound { .. })) => Ok(()),
            Ok(Err(e)) => Err(Unavailable::from(e)),
            Err(_) => Err(Unavailable(format!("no answer within {} s", DEADLINE.as_secs()))),
        }
    }
}

/// An object on its way out.
pub struct Download {
    /// Bytes in the whole object.
    pub size: u64,
    pub bytes: BoxStream<'static, Result<Bytes, object_store::Error>>,
}

/// Bytes read from a file per blocking call.
const FILE_CHUNK: u64 = 256 << 10;

/// A range of a local file, read a chunk per blocking call.
fn file_chunks(file: std::fs::File, range: Range<u64>) -> BoxStream<'static, Result<Bytes, object_store::Error>> {
    use std::io::{Read, Seek, SeekFrom};
    let failed = |e: std::io::Error| object_store::Error::Generic { store: "LocalFileSystem", source: Box::new(e) };
    let chunks =
        futures_util::stream::try_unfold((file, range.start, range.end), move |(mut file, at, end)| async move {
            if at >= end {
                return Ok(None);
            }
            let read = tokio::task::spawn_blocking(move || {
                let mut chunk = vec![0; usize::try_from((end - at).min(FILE_CHUNK)).unwrap_or(0)];
                file.seek(SeekFrom::Start(at))?;
                file.read_exact(&mut chunk)?;
                Ok::<_, std::io::Error>((file, chunk))
            })
            .await
            .map_err(|e| failed(std::io::Error::other(e)))?;
            let (file, chunk) = read.map_err(failed)?;
            let next = at + chunk.len() as u64;
            Ok(Some((Bytes::from(chunk), (file, next, end))))
        });
    Box::pin(chunks)
}

/// Runs a store call, giving up after the deadline.
async fn within<T>(call: impl Future<Output = object_store::Result<T>>) -> Result<T, Unavailable> {
    match tokio::time::timeout(DEADLINE, call).await {
        Ok(result) => result.map_err(Unavailable::from),
        Err(_) => Err(Unavailable(format!("no answer within {} s", DEADLINE.as_secs()))),
    }
}

/// Bytes held back before an upload turns multipart (S3's smallest part).
const MULTIPART_FROM: usize = 5 << 20;

/// An object being written: hashed and counted as bytes come; held until there is a part's
/// worth, then sent in parts.
pub struct Upload {
    store: Arc<dyn ObjectStore>,
    path: Path,
    /// Once the object is larger than one part.
    writer: Option<WriteMultipart>,
    held: Vec<Bytes>,
    held_bytes: usize,
    hasher: Sha256,
    size: u64,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    pub size: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
}

impl Upload {
    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Takes a chunk: held while the object is smaller than a part, else sent on, waiting
    /// while too many parts are in flight.
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), Unavailable> {
        self.hasher.update(&chunk);
        self.size += chunk.len() as u64;
        if let Some(writer) = &mut self.writer {
            within(writer.wait_for_capacity(PARTS_IN_FLIGHT)).await?;
            writer.put(chunk);
            return Ok(());
        }
        self.held_bytes += chunk.len();
        self.held.push(chunk);
        if self.held_bytes >= MULTIPART_FROM {
            let mut writer = WriteMultipart::new(within(self.store.put_multipart(&self.path)).await?);
            for held in self.held.drain(..) {
                writer.put(held);
            }
            self.writer = Some(writer);
        }
        Ok(())
    }

    /// Completes the object.
    pub async fn finish(self) -> Result<Written, Unavailable> {
        let sha256 = self.hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        match self.writer {
            Some(writer) => {
                within(writer.finish()).await?;
            }
            None => {
                let whole: object_store::PutPayload = self.held.into_iter().collect();
                within(self.store.put(&self.path, whole)).await?;
            }
        }
        Ok(Written { size: self.size, sha256 })
    }

    /// Gives up on the object: nothing of it stays.
    pub async fn abort(self) {
        if let Some(writer) = self.writer
            && let Err(e) = within(writer.abort()).await
        {
            tracing::warn!(error = %e, "could not abort an upload");
        }
    }
}
