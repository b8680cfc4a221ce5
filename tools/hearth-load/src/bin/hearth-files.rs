//! hearth's file benchmark: uploads and downloads one large file (10 MB and 100 MB, to see
//! whether the server's memory grows with a file's size: it should not, uploads stream) and
//! 1,000 photos of 1,280 × 960 (each gets a thumbnail), against local storage and, with
//! `--s3`, an S3-compatible server; samples the server's resident memory throughout, and
//! times thumbnail making per picture in-process. Appends to BENCHMARKS.md.
//!
//! `cargo run --release -p hearth-load --bin hearth-files -- --s3 http://127.0.0.1:9000/bucket`

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use hearth::config::{HashCost, Settings};
use hearth_load::{append, free_port, login, machine, percentile, usage, wait_ready};
use reqwest::multipart::{Form, Part};

#[derive(Parser, Debug)]
struct Args {
    /// Photos uploaded one by one.
    #[arg(long, default_value_t = 1000)]
    images: usize,
    /// Size of the large file, in MB.
    #[arg(long, default_value_t = 100)]
    big_mb: usize,
    /// An S3-compatible server and bucket (`http://127.0.0.1:PORT/bucket`) to measure as
    /// well as local storage. Credentials from AWS_* (any, for moto).
    #[arg(long)]
    s3: Option<String>,
    #[arg(long, default_value = "target/release/hearth")]
    server: PathBuf,
    #[arg(long, default_value = "BENCHMARKS.md")]
    out: PathBuf,
}

/// The server's peak resident memory while something runs, sampled every 5 ms.
struct Sampler {
    peak: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
}

impl Sampler {
    fn start(pid: u32) -> Sampler {
        let (peak, done) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
        let (p, d) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !d.load(Ordering::Relaxed) {
                p.fetch_max(usage(pid).0, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Sampler { peak, done }
    }

    /// Peak RSS in MiB.
    fn stop(self) -> f64 {
        self.done.store(true, Ordering::Relaxed);
        self.peak.load(Ordering::Relaxed) as f64 / 1024.0
    }
}

/// A photo-like picture: gradients and noise, so JPEG has something to encode.
fn photo(seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    let pixels = image::RgbImage::from_fn(1280, 960, |i, j| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let noise = (x % 24) as u8;
        image::Rgb([(i / 5) as u8 ^ noise, (j / 4) as u8, ((i + j + seed) / 9) as u8])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(pixels).write_to(&mut bytes, image::ImageFormat::Jpeg).unwrap();
    bytes.into_inner()
}

struct Storage {
    label: String,
    env: Vec<(String, String)>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut stores = vec![Storage { label: "local directory".into(), env: Vec::new() }];
    if let Some(url) = &args.s3 {
        let (endpoint, bucket) =
            url.trim_end_matches('/').rsplit_once('/').context("--s3 is http://host:port/bucket")?;
        stores.push(Storage {
            label: format!("S3-compatible server at {endpoint}"),
            env: vec![
                ("HEARTH_STORAGE_URL".into(), format!("s3://{bucket}/bench-{}", std::process::id())),
                ("HEARTH_S3_ENDPOINT".into(), endpoint.to_owned()),
            ],
        });
    }
    eprintln!("making {} photos…", args.images.min(50));
    // Fifty distinct photos, reused round-robin: what is measured is the server.
    let photos: Vec<Vec<u8>> = (0..args.images.min(50) as u32).map(photo).collect();
    let photo_bytes: usize = (0..args.images).map(|i| photos[i % photos.len()].len()).sum();

    let mut thumb_ms: Vec<f64> = photos
        .iter()
        .map(|p| {
            let started = Instant::now();
            let picture = hearth::domain::images::examine(p, "image/jpeg").expect("a photo decodes");
            assert!(picture.thumbnail.is_some());
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    thumb_ms.sort_by(f64::total_cmp);

    let mut rows = Vec::new();
    for store in &stores {
        rows.extend(measure(&args, store, &photos).await?);
    }

    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    let mut section = format!(
        "\n## {date}: files — one large file, {} photos\n\nMachine: {}. Release build; server and client on one machine over loopback, one upload at a time. \
         Photos are 1,280 × 960 JPEGs of {:.0} KB on average, each given a 720 × 540 thumbnail. \
         Peak RSS is the server's, sampled every 5 ms; \"idle\" is after sign-in, before any upload.\n\n\
         | storage | what | throughput | p50 | p99 | server peak RSS |\n|---|---|---|---|---|---|\n",
        args.images,
        machine(),
        photo_bytes as f64 / args.images as f64 / 1024.0
    );
    for row in rows {
        section.push_str(&row);
        section.push('\n');
    }
    section.push_str(&format!(
        "\nThumbnail making in-process (decode, orient, shrink, encode) per photo: p50 {:.1} ms, p99 {:.1} ms.\n",
        percentile(&thumb_ms, 0.5),
        percentile(&thumb_ms, 0.99)
    ));
    append(&args.out, &section)?;
    eprintln!("appended to {}", args.out.display());
    Ok(())
}

async fn measure(args: &Args, store: &Storage, photos: &[Vec<u8>]) -> anyhow::Result<Vec<String>> {
    let dir = tempfile::tempdir()?;
    let mut settings = Settings::defaults(dir.path());
    settings.accounts.password_hash = HashCost::Test;
    {
        let state = hearth::startup::build_state(settings, "http://127.0.0.1".into())?;
        hearth_load::bench_workspace(&state, 1, 1).await?;
    }
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let mut server = tokio::process::Command::new(&args.server)
        .env("HEARTH_DATA_DIR", dir.path())
        .env("HEARTH_BIND", format!("127.0.0.1:{port}"))
        .env("HEARTH_LOG", "warn")
        .env("HEARTH_WRITES_PER_MINUTE", "1000000")
        .env("HEARTH_WRITE_BURST", "100000")
        .env("HEARTH_MAX_FILE_SIZE", format!("{}M", args.big_mb + 1))
        .envs(store.env.iter().cloned())
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {} (build it with cargo build --release)", args.server.display()))?;
    let pid = server.id().context("the server's pid")?;
    let client = reqwest::Client::builder().build()?;
    wait_ready(&client, &base).await?;
    let token = login(&client, &base).await?;
    let channels: serde_json::Value =
        client.get(format!("{base}/api/v1/workspaces/bench/channels")).bearer_auth(&token).send().await?.json().await?;
    let channel = channels["channels"][0]["id"].as_i64().or_else(|| channels[0]["id"].as_i64()).context("a channel")?;
    let idle = usage(pid).0 as f64 / 1024.0;
    let mut rows = vec![format!("| {} | idle | | | | {idle:.0} MiB |", store.label)];

    for mb in [10, args.big_mb] {
        let bytes: Vec<u8> = (0..mb << 20).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3]).collect();
        let sampler = Sampler::start(pid);
        let started = Instant::now();
        let message = upload(&client, &base, &token, channel, &format!("big-{mb}.bin"), bytes).await?;
        let up = started.elapsed().as_secs_f64();
        let up_peak = sampler.stop();
        let url = message["files"][0]["url"].as_str().context("a file url")?.to_owned();
        let sampler = Sampler::start(pid);
        let started = Instant::now();
        let got = client.get(format!("{base}{url}")).bearer_auth(&token).send().await?.bytes().await?;
        let down = started.elapsed().as_secs_f64();
        let down_peak = sampler.stop();
        if got.len() != mb << 20 {
            bail!("downloaded {} bytes of {}", got.len(), mb << 20);
        }
        eprintln!("{}: {mb} MB up {:.0} MB/s, down {:.0} MB/s", store.label, mb as f64 / up, mb as f64 / down);
        rows.push(format!(
            "| {} | upload one {mb} MB file | {:.0} MB/s | {:.0} ms | | {up_peak:.0} MiB |",
            store.label,
            mb as f64 / up,
            up * 1000.0
        ));
        rows.push(format!(
            "| {} | download it | {:.0} MB/s | {:.0} ms | | {down_peak:.0} MiB |",
            store.label,
            mb as f64 / down,
            down * 1000.0
        ));
    }

    let sampler = Sampler::start(pid);
    let mut took = Vec::with_capacity(args.images);
    let mut urls = Vec::with_capacity(args.images);
    let started = Instant::now();
    for i in 0..args.images {
        let one = Instant::now();
        let message =
            upload(&client, &base, &token, channel, &format!("photo-{i}.jpg"), photos[i % photos.len()].clone())
                .await?;
        took.push(one.elapsed().as_secs_f64() * 1000.0);
        let file = &message["files"][0];
        if file["thumbnail_url"].is_null() {
            bail!("photo {i} got no thumbnail: {file}");
        }
        urls.push(file["thumbnail_url"].as_str().unwrap_or_default().to_owned());
    }
    let total = started.elapsed().as_secs_f64();
    let peak = sampler.stop();
    took.sort_by(f64::total_cmp);
    eprintln!("{}: {} photos at {:.0}/s", store.label, args.images, args.images as f64 / total);
    rows.push(format!(
        "| {} | upload a photo (with its thumbnail made) | {:.0} photos/s | {:.1} ms | {:.1} ms | {peak:.0} MiB |",
        store.label,
        args.images as f64 / total,
        percentile(&took, 0.5),
        percentile(&took, 0.99)
    ));
    let sampler = Sampler::start(pid);
    let mut took = Vec::with_capacity(urls.len());
    let started = Instant::now();
    for url in &urls {
        let one = Instant::now();
        let res = client.get(format!("{base}{url}")).bearer_auth(&token).send().await?;
        if !res.status().is_success() {
            bail!("{url}: {}", res.status());
        }
        res.bytes().await?;
        took.push(one.elapsed().as_secs_f64() * 1000.0);
    }
    let total = started.elapsed().as_secs_f64();
    let peak = sampler.stop();
    took.sort_by(f64::total_cmp);
    rows.push(format!(
        "| {} | download a thumbnail | {:.0}/s | {:.1} ms | {:.1} ms | {peak:.0} MiB |",
        store.label,
        urls.len() as f64 / total,
        percentile(&took, 0.5),
        percentile(&took, 0.99)
    ));
    server.kill().await.ok();
    Ok(rows)
}

async fn upload(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    channel: i64,
    name: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<serde_json::Value> {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned()));
    let res = client
        .post(format!("{base}/api/v1/channels/{channel}/files"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await?;
    let status = res.status();
    let body: serde_json::Value = res.json().await?;
    if !status.is_success() {
        bail!("upload {name}: {status} {body}");
    }
    Ok(body)
}
