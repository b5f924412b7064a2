//! `reqwest-floor <fake API base URL> [in flight] [current|multi]`: the addon's getUserByEmail
//! request (GET the list, parse the JSON, write the user back as text) from Rust alone, with
//! reqwest as the addon configures it, `in flight` loops at once for five rounds of 2 s. Prints
//! requests/s and the process's CPU µs a request. `current`: a current-thread runtime on this
//! thread; `multi`: a multi-thread runtime with one worker (the addon's runtime until 2026-12-02).

use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU µs this process has used (utime + stime from /proc, in clock ticks of 10 ms).
fn cpu_us() -> f64 {
  let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
  let fields: Vec<&str> = stat.rsplit(") ").next().unwrap_or("").split(' ').collect();
  let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
  (ticks(11) + ticks(12)) * 10_000.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
  let mut args = std::env::args().skip(1);
  let base = args.next().ok_or("usage: reqwest-floor <base URL> [in flight] [current|multi]")?;
  let in_flight: usize = args.next().map_or(Ok(64), |n| n.parse())?;
  let runtime = match args.next().as_deref() {
    None | Some("current") => tokio::runtime::Builder::new_current_thread().enable_all().build()?,
    Some("multi") => tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?,
    Some(other) => return Err(format!("unknown runtime `{other}`").into()),
  };
  runtime.block_on(async move {
    let client = reqwest::Client::builder()
      .user_agent("reqwest-floor")
      .pool_idle_timeout(Duration::from_secs(30))
      .build()?;
    let url = reqwest::Url::parse(&format!("{base}/v1/partner/user/list?email=ann%40example.com"))?;
    for _ in 0..5 {
      let until = Instant::now() + Duration::from_secs(2);
      let (cpu, started) = (cpu_us(), Instant::now());
      let loops = (0..in_flight).map(|_| {
        let (client, url) = (client.clone(), url.clone());
        tokio::spawn(async move {
          let mut done = 0u64;
          while Instant::now() < until {
            let response = client
              .get(url.clone())
              .header("authorization", "Bearer sk-bench")
              .timeout(Duration::from_secs(10))
              .send()
              .await?;
            let answer: serde_json::Value = serde_json::from_slice(&response.bytes().await?)?;
            std::hint::black_box(serde_json::to_string(&answer["items"][0])?);
            done += 1;
          }
          Ok::<u64, Box<dyn std::error::Error + Send + Sync>>(done)
        })
      });
      let mut done = 0;
      for handle in loops.collect::<Vec<_>>() {
        done += handle.await?.map_err(|err| err.to_string())?;
      }
      let seconds = started.elapsed().as_secs_f64();
      println!("{:.0} requests/s, {:.1} µs CPU a request", done as f64 / seconds, (cpu_us() - cpu) / done as f64);
    }
    Ok(())
  })
}
