//! `reqwest-floor <fake API base URL> [in flight] [current|multi|handoff]`: the addon's
//! getUserByEmail request (GET the list, parse the JSON, write the user back as text) from Rust
//! alone, with reqwest as the addon configures it, `in flight` loops at once for five rounds of 2 s.
//! Prints requests/s and the process's CPU µs a request. `current`: a current-thread runtime on
//! this thread; `multi`: a multi-thread runtime with one worker (the addon's runtime until
//! 2026-12-02); `handoff`: the addon's shape without Node — this thread (the JS thread's part)
//! sends each request to a current-thread runtime on a thread of its own through a Tokio channel,
//! sleeps until an answer comes back through a std channel, and sends the next request for it.

use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU µs this process has used (utime + stime from /proc, in clock ticks of 10 ms).
fn cpu_us() -> f64 {
  let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
  let fields: Vec<&str> = stat.rsplit(") ").next().unwrap_or("").split(' ').collect();
  let ticks = |i: usize| {
    fields
      .get(i)
      .and_then(|f| f.parse::<f64>().ok())
      .unwrap_or(0.0)
  };
  (ticks(11) + ticks(12)) * 10_000.0
}

fn main() -> Result<(), Failure> {
  let mut args = std::env::args().skip(1);
  let base = args
    .next()
    .ok_or("usage: reqwest-floor <base URL> [in flight] [current|multi|handoff]")?;
  let in_flight: usize = args.next().map_or(Ok(64), |n| n.parse())?;
  let mode = args.next();
  if mode.as_deref() == Some("handoff") {
    return handoff(&base, in_flight);
  }
  let runtime = match mode.as_deref() {
    None | Some("current") => tokio::runtime::Builder::new_current_thread()
      .enable_all()
      .build()?,
    Some("multi") => tokio::runtime::Builder::new_multi_thread()
      .worker_threads(1)
      .enable_all()
      .build()?,
    Some(other) => return Err(format!("unknown runtime `{other}`").into()),
  };
  runtime.block_on(async move {
    let client = client()?;
    let url = list_url(&base)?;
    for _ in 0..5 {
      let until = Instant::now() + Duration::from_secs(2);
      let (cpu, started) = (cpu_us(), Instant::now());
      let loops = (0..in_flight).map(|_| {
        let (client, url) = (client.clone(), url.clone());
        tokio::spawn(async move {
          let mut done = 0u64;
          while Instant::now() < until {
            std::hint::black_box(lookup(&client, &url).await?);
            done += 1;
          }
          Ok::<u64, Failure>(done)
        })
      });
      let mut done = 0;
      for handle in loops.collect::<Vec<_>>() {
        done += handle.await?.map_err(|err| err.to_string())?;
      }
      report(done, started, cpu);
    }
    Ok(())
  })
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// reqwest as the addon configures it.
fn client() -> reqwest::Result<reqwest::Client> {
  reqwest::Client::builder()
    .user_agent("reqwest-floor")
    .pool_idle_timeout(Duration::from_secs(30))
    .build()
}

/// One round's line: requests/s and this process's CPU µs a request.
fn report(done: u64, started: Instant, cpu_before: f64) {
  println!(
    "{:.0} requests/s, {:.1} µs CPU a request",
    done as f64 / started.elapsed().as_secs_f64(),
    (cpu_us() - cpu_before) / done as f64
  );
}

fn list_url(base: &str) -> Result<reqwest::Url, Failure> {
  Ok(reqwest::Url::parse(&format!(
    "{base}/v1/partner/user/list?email=ann%40example.com"
  ))?)
}

/// One lookup: the user's JSON text.
async fn lookup(client: &reqwest::Client, url: &reqwest::Url) -> Result<String, Failure> {
  let response = client
    .get(url.clone())
    .header("authorization", "Bearer sk-bench")
    .timeout(Duration::from_secs(10))
    .send()
    .await?;
  let answer: serde_json::Value = serde_json::from_slice(&response.bytes().await?)?;
  Ok(serde_json::to_string(&answer["items"][0])?)
}

/// `handoff`: requests made on this thread, run on a runtime thread, answered back to this thread.
fn handoff(base: &str, in_flight: usize) -> Result<(), Failure> {
  type Answer = Result<String, Failure>;
  let runtime = tokio::runtime::Builder::new_current_thread()
    .enable_all()
    .build()?;
  let (jobs, mut inbox) = tokio::sync::mpsc::unbounded_channel::<std::sync::mpsc::Sender<Answer>>();
  let (client, url) = (client()?, list_url(base)?);
  std::thread::spawn(move || {
    runtime.block_on(async move {
      while let Some(reply) = inbox.recv().await {
        let (client, url) = (client.clone(), url.clone());
        tokio::spawn(async move {
          let _ = reply.send(lookup(&client, &url).await);
        });
      }
    })
  });
  let (reply, answers) = std::sync::mpsc::channel::<Answer>();
  for _ in 0..5 {
    let until = Instant::now() + Duration::from_secs(2);
    let (cpu, started) = (cpu_us(), Instant::now());
    for _ in 0..in_flight {
      jobs.send(reply.clone())?;
    }
    let (mut done, mut pending) = (0u64, in_flight);
    while pending > 0 {
      std::hint::black_box(answers.recv()?.map_err(|err| err.to_string())?);
      done += 1;
      pending -= 1;
      if Instant::now() < until {
        jobs.send(reply.clone())?;
        pending += 1;
      }
    }
    report(done, started, cpu);
  }
  Ok(())
}
