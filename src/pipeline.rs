//! The one shape every bulk command runs in: read ahead on one thread, transform chunks in
//! parallel, hand the results to one sink in the order they were read.
//!
//! The dry run transforms on rayon's pool (mapping is CPU work); the import and the export
//! transform on plain threads that block on HTTP calls, which must not occupy the pool that
//! the mapping runs on. Either way memory stays bounded: a chunk takes a slot when it is
//! read and gives it back only when the sink has had it, so at most `chunks_in_flight`
//! chunks (queued, being transformed, or waiting for their turn) exist at once, beside the
//! one being read.
//!
//! A source error reaches the sink's side in its place and ends the run with that error;
//! a sink error ends the run at once (the reader and the workers notice their closed
//! channels and stop). A stop requested by the operator is the source's to honour: it ends
//! the iterator early, and what was read is still transformed and sunk.
//!
//! Depends on nothing else in the crate.

use std::collections::BTreeMap;
use std::sync::{mpsc, Arc, Mutex};

use anyhow::Result;

/// Where chunks are transformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workers {
    /// On rayon's pool, several chunks at once; the transform may use rayon itself.
    Pool,
    /// On this many plain threads, one chunk each at a time: for work that blocks (HTTP).
    Threads(usize),
}

/// How a run is cut up and spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pipeline {
    /// Items handed to the transform at once.
    pub chunk_size: usize,
    /// Chunks read and not yet sunk: queued, being transformed, or waiting for their turn.
    pub chunks_in_flight: usize,
    pub workers: Workers,
}

type Numbered<T> = (usize, Result<T>);

impl Pipeline {
    /// Runs `source` through `transform` (a chunk at a time, in parallel) into `sink` (a
    /// chunk at a time, in source order).
    pub fn run<In, Out>(
        &self,
        source: impl Iterator<Item = Result<In>> + Send,
        transform: impl Fn(Vec<In>) -> Out + Sync,
        mut sink: impl FnMut(Out) -> Result<()>,
    ) -> Result<()>
    where
        In: Send,
        Out: Send,
    {
        let chunk_size = self.chunk_size.max(1);
        let transform = &transform;
        std::thread::scope(|scope| -> Result<()> {
            // Bounded by the slots, not by the channel: a chunk takes a slot before the reader
            // sends it and gives it back when the sink has had it. Slots are taken in source
            // order, so the earliest chunk not yet sunk always holds one, and the run cannot
            // wedge with every slot held by later chunks waiting for it.
            let (to_workers, from_reader) = mpsc::channel::<Numbered<Vec<In>>>();
            let (to_sink, from_workers) = mpsc::channel::<Numbered<Out>>();
            let (take_slot, free_slot) = mpsc::sync_channel::<()>(self.chunks_in_flight.max(1));
            scope.spawn(move || read_chunks(source, chunk_size, &take_slot, &to_workers));
            // Shared by the workers; the last one to stop drops it.
            let from_reader = Arc::new(Mutex::new(from_reader));
            let next_chunk = |from_reader: &Mutex<mpsc::Receiver<_>>| {
                from_reader.lock().expect("reader lock").recv().ok()
            };
            match self.workers {
                Workers::Pool => {
                    scope.spawn(move || {
                        // Spawned, not awaited: the next chunk starts while this one ends, so
                        // the pool's threads do not idle at chunk boundaries.
                        rayon::in_place_scope(|pool| {
                            while let Some((seq, chunk)) = next_chunk(&from_reader) {
                                let to_sink = to_sink.clone();
                                pool.spawn(move |_| {
                                    let _ = to_sink.send((seq, chunk.map(transform)));
                                });
                            }
                        });
                    });
                }
                Workers::Threads(n) => {
                    for _ in 0..n.max(1) {
                        let (from_reader, to_sink) = (from_reader.clone(), to_sink.clone());
                        scope.spawn(move || {
                            while let Some((seq, chunk)) = next_chunk(&from_reader) {
                                if to_sink.send((seq, chunk.map(transform))).is_err() {
                                    return; // the run ended early
                                }
                            }
                        });
                    }
                    drop((to_sink, from_reader));
                }
            }
            // Chunks arrive in any order; the sink has them in source order. Returning early
            // drops the receivers, which stops the workers and then the reader.
            let mut waiting = BTreeMap::new();
            let mut next = 0;
            for (seq, out) in from_workers {
                waiting.insert(seq, out);
                while let Some(out) = waiting.remove(&next) {
                    next += 1;
                    sink(out?)?;
                    let _ = free_slot.recv();
                }
            }
            Ok(())
        })
    }
}

/// The reader's side: the source cut into numbered chunks; an error goes on in its place
/// and ends the reading.
fn read_chunks<In>(
    source: impl Iterator<Item = Result<In>>,
    chunk_size: usize,
    take_slot: &mpsc::SyncSender<()>,
    to_workers: &mpsc::Sender<Numbered<Vec<In>>>,
) {
    let mut seq = 0;
    // False once the run has ended early (the sink's side is gone).
    let mut send = |chunk: Result<Vec<In>>| {
        let sent = take_slot.send(()).is_ok() && to_workers.send((seq, chunk)).is_ok();
        seq += 1;
        sent
    };
    let mut chunk = Vec::with_capacity(chunk_size);
    for item in source {
        match item {
            Ok(item) => chunk.push(item),
            Err(e) => {
                if !chunk.is_empty() && !send(Ok(std::mem::take(&mut chunk))) {
                    return;
                }
                send(Err(e));
                return;
            }
        }
        if chunk.len() == chunk_size {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(chunk_size));
            if !send(Ok(full)) {
                return;
            }
        }
    }
    if !chunk.is_empty() {
        send(Ok(chunk));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn numbers(n: usize) -> impl Iterator<Item = Result<usize>> + Send {
        (0..n).map(Ok)
    }

    const SHAPES: [Workers; 3] = [Workers::Pool, Workers::Threads(1), Workers::Threads(4)];

    #[test]
    fn every_item_reaches_the_sink_once_in_order_whatever_the_workers() {
        for workers in SHAPES {
            let pipeline = Pipeline {
                chunk_size: 7,
                chunks_in_flight: 3,
                workers,
            };
            let mut seen = Vec::new();
            pipeline
                .run(
                    numbers(1000),
                    |chunk| {
                        // Later chunks finish first sometimes, so order is the sink's doing.
                        if chunk[0] % 3 == 0 {
                            std::thread::sleep(std::time::Duration::from_millis(1));
                        }
                        chunk.into_iter().map(|n| n * 2).collect::<Vec<_>>()
                    },
                    |chunk| {
                        seen.extend(chunk);
                        Ok(())
                    },
                )
                .unwrap();
            let expected: Vec<usize> = (0..1000).map(|n| n * 2).collect();
            assert_eq!(seen, expected, "{workers:?}");
        }
    }

    #[test]
    fn chunks_in_flight_are_bounded() {
        for workers in SHAPES {
            let (now, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
            let pipeline = Pipeline {
                chunk_size: 2,
                chunks_in_flight: 3,
                workers,
            };
            pipeline
                .run(
                    numbers(200),
                    |chunk| {
                        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(n, Ordering::SeqCst);
                        chunk
                    },
                    |_| {
                        // The sink is slow, so without the bound chunks would pile up.
                        std::thread::sleep(std::time::Duration::from_micros(200));
                        now.fetch_sub(1, Ordering::SeqCst);
                        Ok(())
                    },
                )
                .unwrap();
            let most = most.load(Ordering::SeqCst);
            assert!(
                (1..=3).contains(&most),
                "{workers:?}: {most} chunks at once"
            );
        }
    }

    #[test]
    fn a_source_error_arrives_after_the_items_before_it() {
        for workers in SHAPES {
            let source = (0..50).map(|n| {
                if n == 23 {
                    anyhow::bail!("row 25: broken")
                }
                Ok(n)
            });
            let pipeline = Pipeline {
                chunk_size: 4,
                chunks_in_flight: 4,
                workers,
            };
            let mut seen = Vec::new();
            let err = pipeline
                .run(
                    source,
                    |c| c,
                    |c| {
                        seen.extend(c);
                        Ok(())
                    },
                )
                .unwrap_err();
            assert_eq!(err.to_string(), "row 25: broken");
            assert_eq!(seen, (0..23).collect::<Vec<_>>(), "{workers:?}");
        }
    }

    #[test]
    fn a_failing_sink_stops_the_run_with_its_error() {
        for workers in SHAPES {
            let transformed = AtomicUsize::new(0);
            let pipeline = Pipeline {
                chunk_size: 10,
                chunks_in_flight: 4,
                workers,
            };
            let mut calls = 0;
            let err = pipeline
                .run(
                    numbers(100_000),
                    |c| {
                        transformed.fetch_add(1, Ordering::SeqCst);
                        c
                    },
                    |_| {
                        calls += 1;
                        anyhow::ensure!(calls < 3, "disk full");
                        Ok(())
                    },
                )
                .unwrap_err();
            assert_eq!(err.to_string(), "disk full");
            assert_eq!(calls, 3);
            let transformed = transformed.load(Ordering::SeqCst);
            assert!(
                transformed < 100,
                "{workers:?}: the run went on after the sink failed ({transformed} chunks)"
            );
        }
    }

    #[test]
    fn plain_threads_share_borrowed_state() {
        // The import's shape: N threads that share one borrowed client (here a counter).
        let calls = AtomicUsize::new(0);
        let client = &calls;
        let pipeline = Pipeline {
            chunk_size: 1,
            chunks_in_flight: 8,
            workers: Workers::Threads(4),
        };
        let mut total = 0;
        pipeline
            .run(
                numbers(64),
                |chunk| {
                    client.fetch_add(1, Ordering::SeqCst);
                    chunk.len()
                },
                |n| {
                    total += n;
                    Ok(())
                },
            )
            .unwrap();
        assert_eq!((total, calls.load(Ordering::SeqCst)), (64, 64));
    }
}
