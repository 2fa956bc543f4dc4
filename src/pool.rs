//! The threads that large kernels (matrix products, elementwise loops over big tensors,
//! reductions, fused groups) split their work over.
//!
//! Why not rayon: a Session run is a sequence of parallel regions separated by small
//! sequential kernels. Rayon's workers fall asleep microseconds after their queue empties, and
//! a caller outside the pool blocks on a condition variable while the workers run, so every
//! region costs two thread wake-ups. On a virtual machine a wake-up of an idle vCPU is a trip
//! through the hypervisor: after an idle pause of a few tens of milliseconds (KVM stops
//! halt-polling), the MLP gradient ran 2x slower than back to back, slower than on one thread.
//! Here, as with OpenMP's wait policy, the caller takes part in its own region and the
//! workers spin for a while after a region before they sleep, so within a run no thread
//! sleeps between regions; after a long pause a region costs one wake-up, which the caller
//! does not wait for (it starts on the tasks itself).
//!
//! One region runs at a time. A region started while another is running (another session's
//! run on another thread, or a kernel nested in a task) runs its tasks on the calling thread,
//! so there is no deadlock and no oversubscription. Results never depend on which thread runs
//! a task.
//!
//! The thread count is `SYMGRAD_NUM_THREADS` if set, else the number of CPUs the process may
//! use; the workers start with the first region.

use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, TryLockError};
use std::time::{Duration, Instant};

/// How long a worker keeps polling for the next region before it sleeps. Longer than the gap
/// between two regions of one run (a few sequential kernels), far shorter than the time a
/// program waits between runs.
const SPIN: Duration = Duration::from_millis(2);

/// The number of threads a region runs on, the caller included.
pub fn threads() -> usize {
    pool().threads
}

/// Runs `task(i)` for every `i` in `0..tasks`, on the pool's threads and the calling one, and
/// returns when all have run. A panic in a task is raised again on the calling thread, after
/// every task that started has finished.
pub fn for_each_index(tasks: usize, task: &(dyn Fn(usize) + Sync)) {
    let pool = pool();
    if tasks <= 1 || pool.threads <= 1 {
        (0..tasks).for_each(task);
        return;
    }
    let _one_region = match pool.region_lock.try_lock() {
        Ok(guard) => guard,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => {
            (0..tasks).for_each(task);
            return;
        }
    };
    let region = Region {
        task,
        tasks,
        next: AtomicUsize::new(0),
        panic: Mutex::new(None),
    };
    // SAFETY: the workers reach `region` only through `pool.slot`, and `Retire` (dropped
    // before `region`, also when a task of this thread unwinds) takes it out of the slot and
    // then waits until every worker that picked it up has left it (`pool.active` back to 0;
    // a worker increments it under the slot's lock, before it touches the region, and
    // decrements it after its last use). So no reference to `region` or to what `task`
    // borrows outlives this call, though the type says 'static.
    let shared = unsafe { std::mem::transmute::<&Region<'_>, &'static Region<'static>>(&region) };
    {
        let mut slot = lock(&pool.slot);
        slot.region = Some(shared);
        slot.epoch += 1;
        pool.epoch.store(slot.epoch, Ordering::Release);
        if slot.sleeping > 0 {
            pool.wake.notify_all();
        }
    }
    let retire = Retire(pool);
    region.work();
    drop(retire);
    let panic = match region.panic.into_inner() {
        Ok(payload) => payload,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(payload) = panic {
        resume_unwind(payload);
    }
}

/// Runs `task(i, item)` for each item with its index, on the pool.
pub fn for_each_item<P: Send>(items: Vec<P>, task: impl Fn(usize, P) + Sync) {
    if items.len() <= 1 || threads() <= 1 {
        items.into_iter().enumerate().for_each(|(i, p)| task(i, p));
        return;
    }
    let slots: Vec<Mutex<Option<P>>> = items.into_iter().map(|p| Mutex::new(Some(p))).collect();
    for_each_index(slots.len(), &|i| {
        if let Some(item) = lock(&slots[i]).take() {
            task(i, item);
        }
    });
}

/// Runs `task(i, chunk)` over `xs` cut into chunks of `len` elements (the last may be
/// shorter), on the pool.
pub fn for_each_chunk_mut<T: Send>(
    xs: &mut [T],
    len: usize,
    task: impl Fn(usize, &mut [T]) + Sync,
) {
    for_each_item(xs.chunks_mut(len.max(1)).collect(), task);
}

/// `task(i)` for each `i` in `0..tasks`, on the pool, collected in index order.
pub fn map_collect<R: Send>(tasks: usize, task: impl Fn(usize) -> R + Sync) -> Vec<R> {
    if tasks <= 1 || threads() <= 1 {
        return (0..tasks).map(task).collect();
    }
    let results: Vec<Mutex<Option<R>>> = (0..tasks).map(|_| Mutex::new(None)).collect();
    for_each_index(tasks, &|i| *lock(&results[i]) = Some(task(i)));
    // Every slot is filled: for_each_index returned normally, so every task ran.
    results
        .into_iter()
        .filter_map(|slot| match slot.into_inner() {
            Ok(result) => result,
            Err(poisoned) => poisoned.into_inner(),
        })
        .collect()
}

/// One call's tasks, shared with the workers.
struct Region<'a> {
    task: &'a (dyn Fn(usize) + Sync),
    tasks: usize,
    next: AtomicUsize,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

impl Region<'_> {
    /// Claims and runs tasks until none is left.
    fn work(&self) {
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            if i >= self.tasks {
                return;
            }
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| (self.task)(i))) {
                self.next.store(self.tasks, Ordering::Relaxed);
                lock(&self.panic).get_or_insert(payload);
                return;
            }
        }
    }
}

/// What the caller publishes to the workers.
struct Slot {
    region: Option<&'static Region<'static>>,
    epoch: u64,
    sleeping: usize,
}

struct Pool {
    threads: usize,
    slot: Mutex<Slot>,
    /// `slot.epoch`, readable without the lock by spinning workers.
    epoch: AtomicU64,
    /// Workers inside the current region.
    active: AtomicUsize,
    wake: Condvar,
    region_lock: Mutex<()>,
}

/// Takes the region out of the slot and waits for the workers to leave it.
struct Retire(&'static Pool);

impl Drop for Retire {
    fn drop(&mut self) {
        let pool = self.0;
        lock(&pool.slot).region = None;
        let mut spins = 0u32;
        while pool.active.load(Ordering::Acquire) > 0 {
            // A worker finishing its last task: typically microseconds, so poll; yield if it
            // was descheduled.
            if spins < 1 << 14 {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    static STARTED: OnceLock<()> = OnceLock::new();
    let pool = POOL.get_or_init(|| Pool {
        threads: configured_threads(),
        slot: Mutex::new(Slot {
            region: None,
            epoch: 0,
            sleeping: 0,
        }),
        epoch: AtomicU64::new(0),
        active: AtomicUsize::new(0),
        wake: Condvar::new(),
        region_lock: Mutex::new(()),
    });
    STARTED.get_or_init(|| {
        for i in 1..pool.threads {
            // A worker that cannot be started leaves its share to the others; the caller
            // alone completes any region.
            let _ = std::thread::Builder::new()
                .name(format!("symgrad-worker-{i}"))
                .spawn(move || worker(pool));
        }
    });
    pool
}

fn configured_threads() -> usize {
    std::env::var("SYMGRAD_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn worker(pool: &'static Pool) {
    let mut seen = 0u64;
    loop {
        // Poll, at first tightly, then yielding the CPU on each round: on a machine with
        // other runnable threads, those run instead, and on an idle one the vCPU stays awake.
        let start = Instant::now();
        let mut spins = 0u32;
        while pool.epoch.load(Ordering::Acquire) == seen {
            if spins < 1 << 10 {
                spins += 1;
                std::hint::spin_loop();
            } else if start.elapsed() < SPIN {
                std::thread::yield_now();
            } else {
                break;
            }
        }
        let region = {
            let mut slot = lock(&pool.slot);
            while slot.epoch == seen {
                slot.sleeping += 1;
                slot = match pool.wake.wait(slot) {
                    Ok(guard) => guard,
                    Err(poisoned) => poisoned.into_inner(),
                };
                slot.sleeping -= 1;
            }
            seen = slot.epoch;
            let region = slot.region;
            if region.is_some() {
                pool.active.fetch_add(1, Ordering::Relaxed);
            }
            region
        };
        if let Some(region) = region {
            region.work();
            pool.active.fetch_sub(1, Ordering::Release);
        }
    }
}

/// A lock whose holder panicked still guards consistent data here (every critical section
/// is a few plain stores), so poisoning is ignored.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    #[test]
    fn every_index_runs_once() {
        for tasks in [0, 1, 2, 3, 17, 1000] {
            let counts: Vec<AtomicU32> = (0..tasks).map(|_| AtomicU32::new(0)).collect();
            for_each_index(tasks, &|i| {
                counts[i].fetch_add(1, Ordering::Relaxed);
            });
            assert!(counts.iter().all(|c| c.load(Ordering::Relaxed) == 1));
        }
    }

    #[test]
    fn chunks_and_results_keep_their_order() {
        let mut xs: Vec<u64> = (0..10_001).collect();
        for_each_chunk_mut(&mut xs, 97, |i, chunk| {
            for x in chunk {
                *x = *x * 2 + i as u64;
            }
        });
        assert!(xs
            .iter()
            .enumerate()
            .all(|(j, &x)| x == 2 * j as u64 + (j / 97) as u64));
        let sums = map_collect(50, |i| (0..=i as u64).sum::<u64>());
        assert_eq!(
            sums,
            (0..50u64).map(|i| i * (i + 1) / 2).collect::<Vec<_>>()
        );
    }

    #[test]
    fn nested_and_concurrent_regions_complete() {
        let total = AtomicU32::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..50 {
                        for_each_index(8, &|_| {
                            for_each_index(4, &|_| {
                                total.fetch_add(1, Ordering::Relaxed);
                            });
                        });
                    }
                });
            }
        });
        assert_eq!(total.load(Ordering::Relaxed), 4 * 50 * 8 * 4);
    }

    #[test]
    fn a_task_panic_reaches_the_caller_after_the_region() {
        let ran = AtomicU32::new(0);
        let result = catch_unwind(AssertUnwindSafe(|| {
            for_each_index(64, &|i| {
                ran.fetch_add(1, Ordering::Relaxed);
                if i == 5 {
                    panic!("task 5");
                }
            })
        }));
        let payload = result.expect_err("the panic must reach the caller");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"task 5"));
        assert!(ran.load(Ordering::Relaxed) >= 1);
        // The pool still works afterwards.
        assert_eq!(
            map_collect(10, |i| i * 3),
            (0..10).map(|i| i * 3).collect::<Vec<_>>()
        );
    }
}
