//! Local stand-ins for the platforms SMRM's connectors read: each a real
//! HTTP server on a loopback port that answers with the shapes its
//! platform documents (paging, errors, rate limits), records what it was
//! asked, and can be told to fail. SMRM reaches them through its
//! `SMRM_*_URL` settings; no test ever calls a real platform.

pub mod hn;
pub mod reddit;
pub mod telegram;
pub mod vk;
pub mod youtube;

use std::sync::{Arc, Mutex};

use actix_web::{HttpRequest, HttpResponse, web};

/// One request a stand-in received.
#[derive(Debug, Clone)]
pub struct Asked {
    pub method: String,
    pub path: String,
    /// The query string's pairs, decoded.
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When it arrived.
    pub at: std::time::Instant,
}

impl Asked {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The form body's pairs (`application/x-www-form-urlencoded`).
    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }
}

/// A server on `127.0.0.1:<free port>` answering every request with
/// `answer`, and keeping what it was asked.
pub struct StandIn {
    pub url: String,
    asked: Arc<Mutex<Vec<Asked>>>,
}

impl StandIn {
    pub async fn start<F>(answer: F) -> StandIn
    where
        F: Fn(&Asked) -> HttpResponse + Send + Sync + 'static,
    {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let answer = Arc::new(answer);
        let log = asked.clone();
        let server = actix_web::HttpServer::new(move || {
            let (log, answer) = (log.clone(), answer.clone());
            actix_web::App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (log, answer) = (log.clone(), answer.clone());
                async move {
                    let a = Asked {
                        method: req.method().to_string(),
                        path: req.path().to_owned(),
                        query: form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect(),
                        headers: req
                            .headers()
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
                            .collect(),
                        body: body.to_vec(),
                        at: std::time::Instant::now(),
                    };
                    let response = answer(&a);
                    log.lock().unwrap().push(a);
                    response
                }
            }))
        })
        .workers(2)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        actix_web::rt::spawn(server.run());
        StandIn { url: format!("http://127.0.0.1:{port}"), asked }
    }

    /// Everything asked so far, in order.
    pub fn asked(&self) -> Vec<Asked> {
        self.asked.lock().unwrap().clone()
    }

    /// What was asked on `path`.
    pub fn asked_on(&self, path: &str) -> Vec<Asked> {
        self.asked().into_iter().filter(|a| a.path == path).collect()
    }
}

/// A failure a stand-in answers with instead of data, until cleared.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<u64>,
}

impl Failure {
    pub fn respond(&self) -> HttpResponse {
        let mut r = HttpResponse::build(actix_web::http::StatusCode::from_u16(self.status).unwrap());
        if let Some(s) = self.retry_after {
            r.insert_header(("retry-after", s.to_string()));
        }
        r.content_type("application/json").body(self.body.clone())
    }
}

/// A platform that accepts connections and never answers: what a hung
/// upstream looks like to a connector. Its address, for `SMRM_*_URL`.
pub async fn black_hole() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    actix_web::rt::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://127.0.0.1:{port}")
}
