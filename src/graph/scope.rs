//! Name scopes, unique names, and the device / colocation / control-dependency /
//! gradient-override stacks that shape every op created while they are active.

use super::{Node, NodeId};
use rustc_hash::FxHashMap;

#[derive(Debug, Default)]
pub struct ScopeState {
    /// Current name scope: "" at the root, else ending in "/".
    pub name_stack: String,
    /// Lower-cased names (ops and scopes) → how many times used, as TF's `_names_in_use`.
    names_in_use: FxHashMap<Box<str>, u32>,
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

impl ScopeState {
    /// TF's `Graph.unique_name`: prefixes the scope, then appends `_1`, `_2`, ... until the
    /// (case-insensitive) name is unused.
    pub fn unique_name(&mut self, name: &str, mark_as_used: bool) -> String {
        let name = if self.name_stack.is_empty() {
            name.to_string()
        } else {
            format!("{}{}", self.name_stack, name)
        };
        let key = name.to_lowercase();
        let mut i = self.names_in_use.get(key.as_str()).copied().unwrap_or(0);
        if mark_as_used {
            self.names_in_use
                .insert(key.clone().into_boxed_str(), i + 1);
        }
        if i == 0 {
            return name;
        }
        let mut candidate = format!("{key}_{i}");
        while self.names_in_use.contains_key(candidate.as_str()) {
            i += 1;
            candidate = format!("{key}_{i}");
        }
        if mark_as_used {
            self.names_in_use.insert(candidate.into_boxed_str(), 1);
        }
        format!("{name}_{i}")
    }

    pub fn mark_used(&mut self, full_name: &str) {
        let key = full_name.to_lowercase();
        let n = self.names_in_use.entry(key.into_boxed_str()).or_insert(0);
        if *n == 0 {
            *n = 1;
        }
    }

    /// TF's `name_scope(name)`: `None`/"" returns to the root, a name ending in "/" is
    /// re-entered exactly, anything else becomes a new unique scope.
    pub fn enter_name_scope(&mut self, name: Option<&str>) -> (String, String) {
        let previous = self.name_stack.clone();
        let new = match name {
            None | Some("") => String::new(),
            Some(n) if n.ends_with('/') => n.to_string(),
            Some(n) => format!("{}/", self.unique_name(n, true)),
        };
        self.name_stack = new.clone();
        (new, previous)
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
    pub fn placement(&self, nodes: &[Node]) -> (String, Vec<Box<str>>) {
        if !self.colocation.is_empty() {
            let mut groups: Vec<String> = Vec::new();
            let mut device: Option<String> = None;
            for &op in &self.colocation {
                if let Some(n) = nodes.get(op as usize) {
                    groups.extend(n.colocation_groups());
                    if device.is_none() && !n.device.is_empty() {
                        device = Some(n.device.to_string());
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
