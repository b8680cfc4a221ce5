//! The one HTTP client for everything hearth sends on someone's behalf (outgoing webhooks
//! now; slash commands and link previews later). Every address it connects to is checked
//! after name resolution (`domain::outbound`): loopback, private, link-local and the other
//! non-public ranges are refused unless the operator allow-lists them
//! (`HEARTH_OUTBOUND_ALLOW`). Only http and https; no redirects followed; no proxy from the
//! environment; connect and total timeouts; answers read up to 1 MiB.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;

use crate::domain::outbound::{AllowList, check, loose_ipv4};

/// The most of an answer that is read.
pub const MAX_RESPONSE: usize = 1024 * 1024;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Finds the addresses of a host name. The system's resolver in service; tests give their
/// own, so that no name is looked up anywhere.
pub trait Lookup: Send + Sync {
    fn lookup(&self, host: String) -> BoxFuture<'static, std::io::Result<Vec<IpAddr>>>;
}

/// The system's resolver (`getaddrinfo`).
struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: String) -> BoxFuture<'static, std::io::Result<Vec<IpAddr>>> {
        Box::pin(async move { Ok(tokio::net::lookup_host((host.as_str(), 0)).await?.map(|a| a.ip()).collect()) })
    }
}

/// A name whose address is refused: the error the resolver hands reqwest, found again in
/// the error it returns.
#[derive(Debug)]
struct RefusedAddress(String);

impl std::fmt::Display for RefusedAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RefusedAddress {}

/// reqwest's resolver: looks the name up, then refuses it if any of its addresses is
/// refused (a name that is public and private at once is not to be trusted).
struct Guarded {
    lookup: Arc<dyn Lookup>,
    allow: Arc<AllowList>,
}

impl reqwest::dns::Resolve for Guarded {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (lookup, allow, host) = (self.lookup.clone(), self.allow.clone(), name.as_str().to_owned());
        Box::pin(async move {
            let ips = lookup.lookup(host.clone()).await?;
            if ips.is_empty() {
                return Err(format!("{host} has no address").into());
            }
            for ip in &ips {
                check(*ip, &host, &allow).map_err(RefusedAddress)?;
            }
            let addrs: Vec<SocketAddr> = ips.into_iter().map(|ip| SocketAddr::new(ip, 0)).collect();
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A request to send.
#[derive(Debug, Clone)]
pub struct Request {
    pub url: String,
    pub content_type: String,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
    /// The whole exchange, connecting included.
    pub timeout: Duration,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub latency: Duration,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Why nothing (usable) came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Not an http(s) URL with a host.
    InvalidUrl(String),
    /// The address is not one hearth sends to.
    Refused(String),
    Timeout,
    /// No connection (refused, unreachable, the name unknown, TLS failed).
    Connect(String),
    /// The answer is over `MAX_RESPONSE`.
    TooLarge,
    /// Anything else about the exchange.
    Other(String),
}

impl Failure {
    /// Slack's `X-Slack-Retry-Reason` for a retry after this failure.
    pub fn retry_reason(&self) -> &'static str {
        match self {
            Failure::Timeout => "http_timeout",
            Failure::Connect(_) | Failure::Refused(_) => "connection_failed",
            Failure::InvalidUrl(_) | Failure::TooLarge | Failure::Other(_) => "unknown_error",
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::InvalidUrl(why) => write!(f, "invalid URL: {why}"),
            Failure::Refused(why) => write!(f, "refused: {why}"),
            Failure::Timeout => f.write_str("timed out"),
            Failure::Connect(why) => write!(f, "cannot connect: {why}"),
            Failure::TooLarge => write!(f, "the answer is over {MAX_RESPONSE} bytes"),
            Failure::Other(why) => f.write_str(why),
        }
    }
}

/// The guarded client. Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    allow: Arc<AllowList>,
}

impl Outbound {
    pub fn new(allow: AllowList) -> anyhow::Result<Outbound> {
        Outbound::with_lookup(allow, Arc::new(SystemLookup))
    }

    /// A client resolving names with `lookup`.
    pub fn with_lookup(allow: AllowList, lookup: Arc<dyn Lookup>) -> anyhow::Result<Outbound> {
        let allow = Arc::new(allow);
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(Guarded { lookup, allow: allow.clone() }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("hearth/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Outbound { client, allow })
    }

    /// Checks a URL as `send` would before connecting: its scheme, and a host written as an
    /// address (names are checked when they are resolved).
    pub fn check_url(&self, raw: &str) -> Result<reqwest::Url, Failure> {
        let url = reqwest::Url::parse(raw).map_err(|e| Failure::InvalidUrl(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Failure::InvalidUrl(format!("only http and https, not {}", url.scheme())));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Failure::InvalidUrl("no user or password in the address".into()));
        }
        let host = url.host_str().ok_or_else(|| Failure::InvalidUrl("no host".into()))?;
        let literal = match url.host() {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            Some(url::Host::Domain(d)) => loose_ipv4(d).map(IpAddr::V4),
            None => None,
        };
        if let Some(ip) = literal {
            check(ip, host, &self.allow).map_err(Failure::Refused)?;
        }
        Ok(url)
    }

    /// Sends a POST and reads its answer (at most `MAX_RESPONSE` of it).
    pub async fn post(&self, request: Request) -> Result<Response, Failure> {
        let url = self.check_url(&request.url)?;
        let builder = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, request.content_type.clone())
            .body(request.body.clone());
        self.exchange(builder, &request).await
    }

    /// Sends a GET with the form-encoded `body` as its query string.
    pub async fn get(&self, request: Request) -> Result<Response, Failure> {
        let mut url = self.check_url(&request.url)?;
        let fields = String::from_utf8_lossy(&request.body).into_owned();
        let query = match url.query().filter(|q| !q.is_empty()) {
            Some(own) => format!("{own}&{fields}"),
            None => fields,
        };
        url.set_query(Some(&query));
        self.exchange(self.client.get(url), &request).await
    }

    async fn exchange(&self, builder: reqwest::RequestBuilder, request: &Request) -> Result<Response, Failure> {
        let started = Instant::now();
        let mut builder = builder.timeout(request.timeout);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let exchange = async {
            let mut res = builder.send().await.map_err(failure)?;
            let status = res.status().as_u16();
            let headers = res
                .headers()
                .iter()
                .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                .collect();
            if res.content_length().is_some_and(|n| n > MAX_RESPONSE as u64) {
                return Err(Failure::TooLarge);
            }
            let mut body = Vec::new();
            while let Some(chunk) = res.chunk().await.map_err(failure)? {
                if body.len() + chunk.len() > MAX_RESPONSE {
                    return Err(Failure::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok((status, headers, body))
        };
        // The client's timeout covers the body too; this one bounds the whole of it anyway.
        let (status, headers, body) =
            tokio::time::timeout(request.timeout, exchange).await.map_err(|_| Failure::Timeout)??;
        Ok(Response { status, headers, body, latency: started.elapsed() })
    }
}

/// What a reqwest error was, told by its kind and its causes; never the URL, whose path
/// may hold a secret.
fn failure(e: reqwest::Error) -> Failure {
    let e = e.without_url();
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<RefusedAddress>() {
            return Failure::Refused(refused.0.clone());
        }
        source = cause.source();
    }
    if e.is_timeout() {
        Failure::Timeout
    } else if e.is_connect() {
        Failure::Connect(chain(&e))
    } else {
        Failure::Other(chain(&e))
    }
}

/// An error and its causes, in one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A resolver that knows a few names and fails the test if asked for any other.
    struct Names(HashMap<&'static str, Vec<IpAddr>>);

    impl Lookup for Names {
        fn lookup(&self, host: String) -> BoxFuture<'static, std::io::Result<Vec<IpAddr>>> {
            let found = self.0.get(host.as_str()).cloned();
            Box::pin(async move { Ok(found.unwrap_or_else(|| panic!("{host} was looked up"))) })
        }
    }

    fn client(allow: &str, names: &[(&'static str, &str)]) -> Outbound {
        let mut map: HashMap<&'static str, Vec<IpAddr>> = HashMap::new();
        for (name, ip) in names {
            map.entry(name).or_default().push(ip.parse().unwrap());
        }
        Outbound::with_lookup(AllowList::parse(allow).unwrap(), Arc::new(Names(map))).unwrap()
    }

    fn request(url: &str) -> Request {
        Request {
            url: url.to_owned(),
            content_type: "application/json".into(),
            body: b"{}".to_vec(),
            headers: Vec::new(),
            timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn addresses_written_in_the_url_are_refused_without_a_lookup() {
        let out = client("", &[]);
        let urls = [
            "http://127.0.0.1/hook",
            "http://127.0.0.1:8080/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://10.0.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:7f00:1::]/",
            "http://0.0.0.0/",
            "https://192.168.1.1/",
            "http://100.64.0.1/",
        ];
        for url in urls {
            let got = out.post(request(url)).await;
            assert!(matches!(got, Err(Failure::Refused(_))), "{url}: {got:?}");
        }
        for url in
            ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "http://user:pw@example.com/", "not a url"]
        {
            assert!(matches!(out.post(request(url)).await, Err(Failure::InvalidUrl(_))), "{url}");
        }
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_a_private_address_is_refused_before_connecting() {
        let out = client(
            "",
            &[
                ("intranet.example", "10.1.2.3"),
                ("metadata.example", "169.254.169.254"),
                ("both.example", "93.184.215.14"),
                ("both.example", "127.0.0.1"),
                ("v6.example", "::1"),
            ],
        );
        for host in ["intranet.example", "metadata.example", "both.example", "v6.example"] {
            let got = out.post(request(&format!("http://{host}/hook"))).await;
            assert!(matches!(&got, Err(Failure::Refused(why)) if why.contains(host)), "{host}: {got:?}");
        }
    }

    /// A receiver on 127.0.0.1 that answers one request with `answer` and hands back what
    /// it was sent.
    async fn receiver(answer: &'static [u8]) -> (u16, tokio::task::JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut got = vec![0u8; 8192];
            let n = socket.read(&mut got).await.unwrap();
            socket.write_all(answer).await.unwrap();
            socket.shutdown().await.unwrap();
            String::from_utf8_lossy(&got[..n]).into_owned()
        });
        (port, task)
    }

    #[tokio::test]
    async fn an_allow_listed_receiver_is_reached_and_its_answer_read() {
        let (port, sent) = receiver(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 13\r\n\r\n{\"text\":\"hi\"}",
        )
        .await;
        let out = client("127.0.0.1", &[]);
        let mut req = request(&format!("http://127.0.0.1:{port}/hook"));
        req.headers.push(("x-hearth-delivery".into(), "42".into()));
        let res = out.post(req).await.unwrap();
        assert_eq!((res.status, res.body.as_slice()), (200, b"{\"text\":\"hi\"}".as_slice()));
        assert_eq!(res.header("Content-Type"), Some("application/json"));
        let sent = sent.await.unwrap();
        assert!(sent.starts_with("POST /hook HTTP/1.1") && sent.contains("x-hearth-delivery: 42"), "{sent}");
    }

    #[tokio::test]
    async fn a_receiver_that_does_not_answer_in_time_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let held = tokio::spawn(async move { listener.accept().await.map(|(socket, _)| socket) });
        let mut req = request(&format!("http://127.0.0.1:{port}/"));
        req.timeout = Duration::from_millis(300);
        assert_eq!(client("127.0.0.1", &[]).post(req).await.unwrap_err(), Failure::Timeout);
        drop(held);
    }

    #[tokio::test]
    async fn redirects_are_not_followed_and_endless_answers_are_cut() {
        let (port, _) =
            receiver(b"HTTP/1.1 302 Found\r\nlocation: http://10.0.0.1/\r\ncontent-length: 0\r\n\r\n").await;
        let res = client("127.0.0.1", &[]).post(request(&format!("http://127.0.0.1:{port}/"))).await.unwrap();
        assert_eq!((res.status, res.header("location")), (302, Some("http://10.0.0.1/")), "handed back, not followed");
        let (port, _) = receiver(b"HTTP/1.1 200 OK\r\ncontent-length: 99999999\r\n\r\n").await;
        let got = client("127.0.0.1", &[]).post(request(&format!("http://127.0.0.1:{port}/"))).await;
        assert_eq!(got.unwrap_err(), Failure::TooLarge);
    }
}
