//! The worker's end of its channel to the dashboard.
//!
//! The channel is bounded (`CAPACITY`). When it is full the dashboard is not
//! keeping up (a frame stuck on a slow terminal, a suspended process): the
//! worker's own loop then waits for room (`send`), so it fetches no faster
//! than the dashboard takes what it fetched, and nothing piles up in memory.
//! A change's progress is reported from inside the change flow's callbacks,
//! which cannot wait: those events go out at once when there is room, and
//! are otherwise held, in order, by that one change's outbox until the
//! change next reports with room, or ends (`flush`). A change reports a
//! handful of events, so what is held is bounded by the changes under way.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::{self, Receiver, Sender};

use super::DataEvent;

/// Events in flight to the dashboard: enough for a burst of describes and a
/// metrics answer between two frames, small enough to be no memory at all.
pub const CAPACITY: usize = 256;

/// A bounded channel for one worker's events.
pub fn channel() -> (Outbox, Receiver<DataEvent>) {
    let (tx, rx) = mpsc::channel(CAPACITY);
    (Outbox::new(tx), rx)
}

/// Sends a worker's events to the dashboard, in order.
#[derive(Debug)]
pub struct Outbox {
    tx: Sender<DataEvent>,
    /// Events posted while the channel was full, oldest first.
    held: Arc<Mutex<VecDeque<DataEvent>>>,
}

impl Outbox {
    pub fn new(tx: Sender<DataEvent>) -> Outbox {
        Outbox {
            tx,
            held: Arc::default(),
        }
    }

    /// The same channel, with an order of its own: for one change, whose
    /// events must keep their order among themselves, not with another's.
    pub fn fresh(&self) -> Outbox {
        Outbox::new(self.tx.clone())
    }

    /// Waits for room, then sends, after whatever this outbox held. False
    /// when the dashboard is gone.
    pub async fn send(&self, event: DataEvent) -> bool {
        if !self.flush().await {
            return false;
        }
        self.tx.send(event).await.is_ok()
    }

    /// Sends what this outbox holds, waiting for room. False when the
    /// dashboard is gone.
    pub async fn flush(&self) -> bool {
        loop {
            let next = self.lock().pop_front();
            let Some(event) = next else {
                return true;
            };
            if self.tx.send(event).await.is_err() {
                return false;
            }
        }
    }

    /// From a callback that cannot wait: sent now if there is room and
    /// nothing is held before it, else held for the next `send` or `flush`.
    pub fn post(&self, event: DataEvent) {
        let mut held = self.lock();
        // What was held goes first, as far as there is room.
        while let Some(first) = held.pop_front() {
            match self.tx.try_send(first) {
                Ok(()) => {}
                Err(TrySendError::Full(first)) => {
                    held.push_front(first);
                    held.push_back(event);
                    return;
                }
                Err(TrySendError::Closed(_)) => return,
            }
        }
        match self.tx.try_send(event) {
            Ok(()) | Err(TrySendError::Closed(_)) => {}
            Err(TrySendError::Full(event)) => held.push_back(event),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<DataEvent>> {
        // A poisoned lock only means a panic elsewhere mid-push: the queue
        // itself is still whole.
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(i: usize) -> DataEvent {
        DataEvent::ChangeReport {
            stream: format!("s{i}"),
            text: String::new(),
            tone: crate::model::Tone::Info,
        }
    }

    fn stream_of(e: &DataEvent) -> String {
        match e {
            DataEvent::ChangeReport { stream, .. } => stream.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_full_channel_holds_posts_in_order_and_never_grows_past_its_capacity() {
        let (tx, mut rx) = mpsc::channel(2);
        let out = Outbox::new(tx);
        for i in 0..5 {
            out.post(report(i));
        }
        // Two went at once; three wait, in order.
        assert_eq!(out.lock().len(), 3);
        let first: Vec<String> = [rx.recv().await, rx.recv().await]
            .iter()
            .map(|e| stream_of(e.as_ref().unwrap()))
            .collect();
        assert_eq!(first, ["s0", "s1"]);
        // The next send goes after what was held.
        let sending = tokio::spawn(async move {
            out.send(report(5)).await;
            out
        });
        let mut rest = Vec::new();
        for _ in 0..4 {
            rest.push(stream_of(&rx.recv().await.unwrap()));
        }
        assert_eq!(rest, ["s2", "s3", "s4", "s5"]);
        assert!(sending.await.unwrap().lock().is_empty());
    }

    #[tokio::test]
    async fn a_send_waits_for_room_instead_of_queueing() {
        let (tx, mut rx) = mpsc::channel(1);
        let out = Outbox::new(tx);
        assert!(out.send(report(0)).await);
        let second = tokio::spawn(async move { out.send(report(1)).await });
        tokio::task::yield_now().await;
        assert!(!second.is_finished(), "waits while the channel is full");
        assert_eq!(stream_of(&rx.recv().await.unwrap()), "s0");
        assert!(second.await.unwrap());
        assert_eq!(stream_of(&rx.recv().await.unwrap()), "s1");
    }
}
