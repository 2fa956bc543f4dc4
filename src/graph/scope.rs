//! Name scopes, unique names, and the device / colocation / control-dependency /
//! gradient-override stacks that shape every op created while they are active.
//!
//! As in TF, the names in use belong to the graph, but the stacks belong to the thread
//! that opened them: a `name_scope` open in one thread does not rename ops another thread
//! builds in the same graph.

use super::names::{push_decimal, NameTable, ROOT};
use super::{NodeId, NodeStore};
use rustc_hash::FxHashMap;
use std::thread::ThreadId;

#[derive(Debug, Default)]
pub struct ScopeState {
    /// Every name in use, ops' and scopes'.
    pub names: NameTable,
    /// Each building thread's stacks; a thread without an entry has none open.
    threads: FxHashMap<ThreadId, ThreadScope>,
    /// The buffer of the last name scope left, reused for the next one entered: a
    /// gradient enters and leaves a scope for every op it differentiates.
    spare_stack: String,
}

static NO_SCOPES: ThreadScope = ThreadScope {
    name_stack: String::new(),
    name_entry: None,
    devices: Vec::new(),
    colocation: Vec::new(),
    colocation_saves: Vec::new(),
    controls: Vec::new(),
    overrides: Vec::new(),
};

thread_local! {
    // `thread::current()` clones an `Arc` on every call; every op added asks for the
    // thread's stacks, so the id is read once per thread.
    static THREAD_ID: ThreadId = std::thread::current().id();
}

fn this_thread() -> ThreadId {
    // While the thread's locals are being destroyed the cache is gone, not the thread.
    THREAD_ID
        .try_with(|id| *id)
        .unwrap_or_else(|_| std::thread::current().id())
}

impl ScopeState {
    /// The calling thread's stacks.
    pub fn here(&self) -> &ThreadScope {
        if self.threads.is_empty() {
            return &NO_SCOPES;
        }
        self.threads.get(&this_thread()).unwrap_or(&NO_SCOPES)
    }

    pub fn here_mut(&mut self) -> &mut ThreadScope {
        self.threads.entry(this_thread()).or_default()
    }

    /// TF's `Graph.unique_name`: prefixes the scope, then appends `_1`, `_2`, ... until the
    /// (case-insensitive) name is unused.
    pub fn unique_name(&mut self, name: &str, mark_as_used: bool) -> String {
        self.unique_in_scope(name, mark_as_used, NodeId::MAX, 0).0
    }

    /// `unique_name` for op `op` (`NodeId::MAX` for none), with `room` spare bytes in the
    /// string; also returns the name's table entry when it was marked used.
    pub fn unique_in_scope(
        &mut self,
        name: &str,
        mark_as_used: bool,
        op: NodeId,
        room: usize,
    ) -> (String, Option<u32>) {
        let mut full = String::new();
        let entry = self.unique_in_scope_into(name, mark_as_used, op, room, &mut full);
        (full, entry)
    }

    /// `unique_in_scope` written into `full` (cleared first): adding an op reuses one
    /// buffer instead of allocating a name it copies into the node store anyway.
    pub fn unique_in_scope_into(
        &mut self,
        name: &str,
        mark_as_used: bool,
        op: NodeId,
        room: usize,
        full: &mut String,
    ) -> Option<u32> {
        full.clear();
        // One look-up of the thread's stacks serves the scope's entry and its prefix.
        let Self { names, threads, .. } = self;
        let mut here = if threads.is_empty() {
            None
        } else {
            threads.get_mut(&this_thread())
        };
        let scope = match here.as_deref_mut() {
            None => Some(ROOT),
            Some(h) => match h.name_entry {
                Some(e) => Some(e),
                None if h.name_stack.is_empty() || h.name_stack.ends_with('/') => {
                    let e = names.scope(&h.name_stack);
                    h.name_entry = Some(e);
                    Some(e)
                }
                None => None,
            },
        };
        let prefix = here.as_deref().map_or("", |h| h.name_stack.as_str());
        let Some(scope) = scope else {
            // A scope set from outside without the trailing '/': its last component runs
            // on into the name, so the name is looked up whole.
            full.reserve(prefix.len() + name.len() + room);
            full.push_str(prefix);
            full.push_str(name);
            let (parent, last) = match full.rsplit_once('/') {
                Some((dir, last)) => (names.path(ROOT, dir), last),
                None => (ROOT, full.as_str()),
            };
            let (suffix, entry) = names.unique_child(parent, last, mark_as_used, op);
            push_suffix(full, suffix);
            return entry;
        };
        // Names are short and seldom hold a '/': a plain loop beats `memrchr`'s set-up.
        let (parent, last) = match name.bytes().rposition(|b| b == b'/') {
            Some(i) => (names.path(scope, &name[..i]), &name[i + 1..]),
            None => (scope, name),
        };
        let (suffix, entry) = names.unique_child(parent, last, mark_as_used, op);
        full.reserve(prefix.len() + name.len() + room + suffix.map_or(0, |_| 11));
        full.push_str(prefix);
        full.push_str(name);
        push_suffix(full, suffix);
        entry
    }

    /// TF's `name_scope(name)`: `None`/"" returns to the root, a name ending in "/" is
    /// re-entered exactly, anything else becomes a new unique scope.
    pub fn enter_name_scope(&mut self, name: Option<&str>) -> (String, String) {
        let previous = self.push_name_scope(name);
        (self.here().name_stack.clone(), previous)
    }

    /// Returns the calling thread to a scope saved by `push_name_scope_saved`.
    pub fn restore_saved(&mut self, stack: String, entry: Option<u32>) {
        let left = self.here_mut().restore_name_stack(stack, entry);
        self.spare_stack = left;
    }

    /// `enter_name_scope` for a caller that needs only the scope it replaces.
    pub fn push_name_scope(&mut self, name: Option<&str>) -> String {
        self.push_name_scope_saved(name).0
    }

    /// `push_name_scope`, also handing back the replaced scope's table entry, so that
    /// `ThreadScope::restore_name_stack` need not look it up again.
    pub fn push_name_scope_saved(&mut self, name: Option<&str>) -> (String, Option<u32>) {
        let (new, entry) = match name {
            None | Some("") => (String::new(), Some(ROOT)),
            Some(n) if n.ends_with('/') => (n.to_string(), None),
            Some(n) => {
                // Room for the '/' up front: the name is handed out as it was built.
                let mut scope = std::mem::take(&mut self.spare_stack);
                let entry = self.unique_in_scope_into(n, true, NodeId::MAX, 1, &mut scope);
                scope.push('/');
                (scope, entry)
            }
        };
        let here = self.here_mut();
        let previous_entry = std::mem::replace(&mut here.name_entry, entry);
        (std::mem::replace(&mut here.name_stack, new), previous_entry)
    }
}

fn push_suffix(name: &mut String, suffix: Option<u32>) {
    if let Some(i) = suffix {
        name.push('_');
        push_decimal(name, i);
    }
}

/// One thread's scope stacks.
#[derive(Debug, Default)]
pub struct ThreadScope {
    /// Current name scope: "" at the root, else ending in "/".
    name_stack: String,
    /// `name_stack`'s entry in the name table, once looked up.
    name_entry: Option<u32>,
    /// `None` entries clear the device.
    pub devices: Vec<Option<String>>,
    /// Ops whose colocation group new ops join.
    colocation: Vec<NodeId>,
    colocation_saves: Vec<ColocationSave>,
    pub controls: Vec<ControlFrame>,
    pub overrides: Vec<FxHashMap<String, String>>,
}

#[derive(Debug)]
struct ColocationSave {
    pushed: bool,
    colocation: Option<Vec<NodeId>>,
    devices: Option<Vec<Option<String>>>,
}

#[derive(Debug)]
pub struct ControlFrame {
    /// `None` is `control_dependencies(None)`: forget the enclosing frames.
    pub ops: Option<Vec<NodeId>>,
    /// Ops with ids from here on were created inside this frame.
    pub first_created: NodeId,
}

impl ThreadScope {
    pub fn name_stack(&self) -> &str {
        &self.name_stack
    }

    /// Sets the name scope, handing back the one it replaces.
    pub fn replace_name_stack(&mut self, stack: String) -> String {
        self.name_entry = None;
        std::mem::replace(&mut self.name_stack, stack)
    }

    /// Sets the name scope back to one saved with its entry by `push_name_scope_saved`;
    /// hands back the one it replaces.
    pub fn restore_name_stack(&mut self, stack: String, entry: Option<u32>) -> String {
        self.name_entry = entry;
        std::mem::replace(&mut self.name_stack, stack)
    }

    /// The name table entry of the current scope when known (for naming an op exactly
    /// after the scope it has just been built in).
    pub fn name_entry(&self) -> Option<u32> {
        self.name_entry
    }

    /// Whether only the name scope is set: no device, colocation, control-dependency or
    /// gradient-override scope would change an op built here.
    pub fn is_plain(&self) -> bool {
        self.devices.is_empty()
            && self.colocation.is_empty()
            && self.colocation_saves.is_empty()
            && self.controls.is_empty()
            && self.overrides.is_empty()
    }

    pub fn push_colocation(&mut self, op: Option<NodeId>, ignore_existing: bool) {
        let save = ColocationSave {
            pushed: op.is_some(),
            colocation: ignore_existing.then(|| std::mem::take(&mut self.colocation)),
            // Inside a colocation context the device comes from the colocated op.
            devices: op.is_some().then(|| std::mem::take(&mut self.devices)),
        };
        if let Some(op) = op {
            self.colocation.push(op);
        }
        self.colocation_saves.push(save);
    }

    pub fn pop_colocation(&mut self) {
        let Some(save) = self.colocation_saves.pop() else {
            return;
        };
        if save.pushed {
            self.colocation.pop();
        }
        if let Some(c) = save.colocation {
            self.colocation = c;
        }
        if let Some(d) = save.devices {
            self.devices = d;
        }
    }

    pub fn push_control(&mut self, ops: Option<Vec<NodeId>>, first_created: NodeId) {
        self.controls.push(ControlFrame { ops, first_created });
    }

    /// TF's `_control_dependencies_for_inputs`: a frame adds its ops unless one of the new
    /// op's inputs was itself created inside that frame, and never an op that is an input.
    pub fn control_inputs_for(&self, input_ops: &[NodeId]) -> Vec<NodeId> {
        let mut out: Vec<NodeId> = Vec::new();
        for frame in self.controls.iter().rev() {
            let Some(ops) = &frame.ops else { break };
            let dominated = input_ops.iter().any(|&i| i >= frame.first_created);
            if !dominated {
                for &c in ops {
                    if !input_ops.contains(&c) && !out.contains(&c) {
                        out.push(c);
                    }
                }
            }
        }
        out
    }

    /// (device, explicit colocation groups) for a new op.
    pub fn placement(&self, nodes: &NodeStore) -> (String, Vec<Box<str>>) {
        if !self.colocation.is_empty() {
            let mut groups: Vec<String> = Vec::new();
            let mut device: Option<String> = None;
            for &op in &self.colocation {
                if let Some(n) = nodes.get(op as usize) {
                    groups.extend(n.colocation_groups(nodes.name_of(n)));
                    if device.is_none() && !n.device().is_empty() {
                        device = Some(n.device().to_string());
                    }
                }
            }
            groups.sort();
            groups.dedup();
            let device = device.or_else(|| self.current_device()).unwrap_or_default();
            return (
                device,
                groups.into_iter().map(String::into_boxed_str).collect(),
            );
        }
        (self.current_device().unwrap_or_default(), Vec::new())
    }

    fn current_device(&self) -> Option<String> {
        self.devices.last().cloned().flatten()
    }

    pub fn gradient_override(&self, op_type: &str) -> Option<Box<str>> {
        self.overrides
            .iter()
            .rev()
            .find_map(|m| m.get(op_type))
            .map(|s| s.clone().into_boxed_str())
    }
}
