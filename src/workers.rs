//! Background work in one place: every task or thread that outlives a request registers
//! here under a name, watches one stop signal, and is awaited, within a bound, when the
//! node shuts down. Nothing is spawned and forgotten.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The registry of a node's background work. Clones share it.
#[derive(Clone, Default)]
pub struct Workers {
    stop: CancellationToken,
    running: Arc<Mutex<Vec<Running>>>,
    /// Short pieces of work started on behalf of a worker (a presence row written, a
    /// notification sent), awaited on shutdown like the workers themselves.
    errands: TaskTracker,
}

struct Running {
    name: &'static str,
    handle: Handle,
}

enum Handle {
    Task(tokio::task::JoinHandle<()>),
    Thread(std::thread::JoinHandle<()>),
}

impl Workers {
    pub fn new() -> Workers {
        Workers::default()
    }

    /// The signal every registered worker watches; cancelled by [`Workers::shutdown`].
    pub fn stopping(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Spawns an async worker on the current runtime. `work` gets the stop signal and should
    /// return soon after it fires, once the item in hand is finished.
    pub fn spawn<F, W>(&self, name: &'static str, work: W)
    where
        W: FnOnce(CancellationToken) -> F,
        F: Future<Output = ()> + Send + 'static,
    {
        let handle = tokio::spawn(work(self.stop.clone()));
        self.register(name, Handle::Task(handle));
    }

    /// Runs a short piece of work in the background (a write whose answer comes back by a
    /// channel): it is not a worker and does not watch the stop signal, but shutdown waits
    /// for it, within the grace period, instead of cutting it off.
    pub fn errand<F>(&self, work: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.errands.spawn(work);
    }

    /// Starts a worker on its own thread, for blocking work that cannot be a task (a
    /// connection that waits for PostgreSQL notifications). It should check the signal often.
    pub fn spawn_thread<W>(&self, name: &'static str, work: W) -> std::io::Result<()>
    where
        W: FnOnce(CancellationToken) + Send + 'static,
    {
        let stop = self.stop.clone();
        let handle = std::thread::Builder::new().name(format!("hearth-{name}")).spawn(move || work(stop))?;
        self.register(name, Handle::Thread(handle));
        Ok(())
    }

    fn register(&self, name: &'static str, handle: Handle) {
        self.running.lock().unwrap_or_else(|p| p.into_inner()).push(Running { name, handle });
    }

    /// The names of the registered workers, in the order they started.
    pub fn names(&self) -> Vec<&'static str> {
        self.running.lock().unwrap_or_else(|p| p.into_inner()).iter().map(|r| r.name).collect()
    }

    /// Fires the stop signal and waits for every worker to end, for `grace` at most. Tasks
    /// still running then are aborted; threads are left to end with the process. Returns
    /// the names of those that did not end in time.
    pub async fn shutdown(&self, grace: Duration) -> Vec<&'static str> {
        self.stop.cancel();
        let deadline = tokio::time::Instant::now() + grace;
        let mut late = Vec::new();
        // Workers that register while others stop (a task spawning a helper) are collected too.
        loop {
            let running = std::mem::take(&mut *self.running.lock().unwrap_or_else(|p| p.into_inner()));
            if running.is_empty() {
                break;
            }
            // Awaited together, so that one slow worker does not use up the others' time.
            let ended = futures_util::future::join_all(running.into_iter().map(|r| r.ended_by(deadline))).await;
            late.extend(ended.into_iter().filter_map(|(name, ended)| (!ended).then_some(name)));
        }
        self.errands.close();
        if tokio::time::timeout_at(deadline, self.errands.wait()).await.is_err() {
            tracing::warn!(left = self.errands.len(), "background errands did not end within the grace period");
            late.push("errands");
        }
        late
    }
}

impl Running {
    /// Waits for the worker to end until `deadline`; aborts a task still running then.
    /// Returns its name and whether it ended.
    async fn ended_by(self, deadline: tokio::time::Instant) -> (&'static str, bool) {
        let Running { name, handle } = self;
        let ended = match handle {
            Handle::Task(mut task) => match tokio::time::timeout_at(deadline, &mut task).await {
                Ok(Ok(())) => true,
                Ok(Err(e)) => {
                    tracing::warn!(worker = name, error = %e, "a worker failed");
                    true
                }
                Err(_) => {
                    task.abort();
                    false
                }
            },
            // Polled rather than joined on a blocking task: the runtime waits for its
            // blocking tasks when it ends, so a thread stuck past the deadline (in a connect,
            // say) would hold the process up after the grace period.
            Handle::Thread(thread) => loop {
                if thread.is_finished() {
                    if thread.join().is_err() {
                        tracing::warn!(worker = name, "a worker thread failed");
                    }
                    break true;
                }
                if tokio::time::Instant::now() >= deadline {
                    break false;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            },
        };
        if !ended {
            tracing::warn!(worker = name, "a worker did not stop within the grace period");
        }
        (name, ended)
    }
}

/// The first step of shutting down, before requests are drained and workers stopped: live
/// connections (WebSockets) are told to close with 1001 (going away), so that they do not
/// hold the drain up. Clones share it.
#[derive(Clone, Default)]
pub struct GoingAway(CancellationToken);

impl GoingAway {
    pub fn fire(&self) {
        self.0.cancel();
    }

    /// Completes once fired.
    pub async fn fired(&self) {
        self.0.cancelled().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shutdown_waits_for_workers_that_stop_and_gives_up_on_those_that_do_not() {
        let workers = Workers::new();
        let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
        let finished = done_tx.clone();
        workers.spawn("polite", move |stop| async move {
            stop.cancelled().await;
            let _ = finished.send("polite");
        });
        workers.spawn("stubborn", |_stop| std::future::pending::<()>());
        workers
            .spawn_thread("thread", move |stop| {
                while !stop.is_cancelled() {
                    std::thread::park_timeout(Duration::from_millis(5));
                }
                let _ = done_tx.send("thread");
            })
            .unwrap();
        let (errand_tx, mut errand_rx) = tokio::sync::oneshot::channel();
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        workers.errand(async move {
            // Still running when the stop comes; finishes within the grace period.
            let _ = released.await;
            let _ = errand_tx.send("errand");
        });
        assert_eq!(workers.names(), ["polite", "stubborn", "thread"]);
        let stopping = workers.clone();
        let shutdown = tokio::spawn(async move { stopping.shutdown(Duration::from_millis(200)).await });
        assert!(errand_rx.try_recv().is_err(), "the errand waits for its release");
        let _ = release.send(());
        let late = shutdown.await.unwrap();
        assert_eq!(late, ["stubborn"]);
        assert_eq!(errand_rx.try_recv().ok(), Some("errand"), "shutdown waited for the errand");
        let mut done = vec![done_rx.recv().await.unwrap(), done_rx.recv().await.unwrap()];
        done.sort();
        assert_eq!(done, ["polite", "thread"]);
        assert!(workers.names().is_empty(), "everything was collected");
    }
}
