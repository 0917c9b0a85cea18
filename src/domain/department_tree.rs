//! The department tree of one organization, held in memory: paths, subtrees, cycles.
//! Even a large organization has a few thousand departments, so a walk is cheap.

use std::collections::{HashMap, HashSet};

use crate::domain::text::check_name_characters;
use crate::problem::Problem;

/// Deepest nesting accepted, so that paths stay readable and walks stay short.
pub const MAX_DEPTH: usize = 8;
pub const MAX_SEGMENT_CHARS: usize = 100;

#[derive(Clone, Debug)]
pub struct Node {
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
}

#[derive(Clone, Debug, Default)]
pub struct DepartmentTree {
    nodes: HashMap<String, Node>,
    children: HashMap<Option<String>, Vec<String>>,
}

impl DepartmentTree {
    pub fn new(nodes: impl IntoIterator<Item = Node>) -> Self {
        let mut tree = Self::default();
        for node in nodes {
            tree.insert(node);
        }
        tree
    }

    pub fn insert(&mut self, node: Node) {
        self.children
            .entry(node.parent_id.clone())
            .or_default()
            .push(node.id.clone());
        self.nodes.insert(node.id.clone(), node);
    }

    pub fn get(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.nodes.contains_key(id)
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Names from the root down, e.g. `["Sales", "East"]`.
    pub fn segments(&self, id: &str) -> Vec<&str> {
        let mut names = Vec::new();
        let mut current = self.nodes.get(id);
        while let Some(node) = current {
            names.push(node.name.as_str());
            if names.len() > self.nodes.len() {
                break;
            }
            current = node.parent_id.as_deref().and_then(|p| self.nodes.get(p));
        }
        names.reverse();
        names
    }

    /// `Sales/East`.
    pub fn path(&self, id: &str) -> String {
        self.segments(id).join("/")
    }

    pub fn depth(&self, id: &str) -> usize {
        self.segments(id).len()
    }

    /// The department and everything below it.
    pub fn subtree(&self, root: &str) -> HashSet<String> {
        let mut found = HashSet::new();
        let mut stack = vec![root.to_string()];
        while let Some(id) = stack.pop() {
            if !self.nodes.contains_key(&id) || !found.insert(id.clone()) {
                continue;
            }
            if let Some(kids) = self.children.get(&Some(id)) {
                stack.extend(kids.iter().cloned());
            }
        }
        found
    }

    /// The deepest level below `id`, counting `id` itself as 1.
    pub fn height(&self, id: &str) -> usize {
        let kids = self.children.get(&Some(id.to_string()));
        1 + kids
            .map(|k| k.iter().map(|c| self.height(c)).max().unwrap_or(0))
            .unwrap_or(0)
    }

    pub fn children_of(&self, parent: Option<&str>) -> impl Iterator<Item = &Node> {
        self.children
            .get(&parent.map(str::to_string))
            .into_iter()
            .flatten()
            .filter_map(|id| self.nodes.get(id))
    }

    /// A child with this name (compared without case), for paths and sibling uniqueness.
    pub fn child_named(&self, parent: Option<&str>, name: &str) -> Option<&Node> {
        let wanted = name.to_lowercase();
        self.children_of(parent)
            .find(|n| n.name.to_lowercase() == wanted)
    }

    /// Moving `id` under `new_parent` would make it its own ancestor.
    pub fn would_cycle(&self, id: &str, new_parent: &str) -> bool {
        self.subtree(id).contains(new_parent)
    }

    /// The department at a path such as `Sales/East`, if it exists.
    pub fn find_path(&self, segments: &[String]) -> Option<&Node> {
        let mut parent: Option<&Node> = None;
        for segment in segments {
            parent = Some(self.child_named(parent.map(|p| p.id.as_str()), segment)?);
        }
        parent
    }
}

/// Splits and checks `Sales/East`: no blank segments, not too deep, not too long.
pub fn parse_path(raw: &str) -> Result<Vec<String>, Problem> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Problem::new("required", "the department path is blank"));
    }
    let segments: Vec<String> = trimmed.split('/').map(|s| s.trim().to_string()).collect();
    if segments.iter().any(String::is_empty) {
        return Err(Problem::new(
            "empty_part",
            format!("the department path `{trimmed}` has an empty part"),
        )
        .with("path", trimmed));
    }
    for segment in &segments {
        check_name_characters(segment).map_err(|p| Problem {
            message: format!("in the department path `{trimmed}`, a name {}", p.message),
            ..p.with("path", trimmed)
        })?;
    }
    if segments.len() > MAX_DEPTH {
        return Err(Problem::new(
            "too_deep",
            format!("the department path `{trimmed}` is deeper than {MAX_DEPTH} levels"),
        )
        .with("path", trimmed)
        .with("max", MAX_DEPTH));
    }
    if let Some(long) = segments
        .iter()
        .find(|s| s.chars().count() > MAX_SEGMENT_CHARS)
    {
        return Err(Problem::new(
            "too_long",
            format!("the department name `{long}` is longer than {MAX_SEGMENT_CHARS} characters"),
        )
        .with("value", long.as_str())
        .with("max", MAX_SEGMENT_CHARS));
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, parent: Option<&str>, name: &str) -> Node {
        Node {
            id: id.into(),
            parent_id: parent.map(str::to_string),
            name: name.into(),
        }
    }

    fn sample() -> DepartmentTree {
        DepartmentTree::new([
            node("s", None, "Sales"),
            node("e", Some("s"), "East"),
            node("w", Some("s"), "West"),
            node("e1", Some("e"), "Shanghai"),
            node("o", None, "Operations"),
        ])
    }

    #[test]
    fn paths_subtrees_and_cycles() {
        let t = sample();
        assert_eq!(t.path("e1"), "Sales/East/Shanghai");
        assert_eq!(
            t.subtree("s"),
            ["s", "e", "w", "e1"]
                .iter()
                .map(|s| s.to_string())
                .collect()
        );
        assert!(t.would_cycle("s", "e1"));
        assert!(t.would_cycle("e", "e"));
        assert!(!t.would_cycle("e", "o"));
        assert_eq!(t.height("s"), 3);
        assert_eq!(
            t.find_path(&["sales".into(), "EAST".into()])
                .map(|n| n.id.as_str()),
            Some("e")
        );
    }

    #[test]
    fn bad_paths_are_refused() {
        let code = |raw: &str| parse_path(raw).unwrap_err().code;
        assert_eq!(code("  "), "required");
        assert_eq!(code("Sales//East"), "empty_part");
        assert_eq!(code("a/b/c/d/e/f/g/h/i"), "too_deep");
        assert_eq!(code(&"x".repeat(MAX_SEGMENT_CHARS + 1)), "too_long");
        assert_eq!(parse_path(" Sales / East ").unwrap(), vec!["Sales", "East"]);
    }
}
