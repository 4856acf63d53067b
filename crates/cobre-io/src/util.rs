//! Small helpers shared by the readers and the validation layers.

/// Levenshtein distance between two short ASCII-ish strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `name`, when it is close enough to be a likely typo.
pub(crate) fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|c| (edit_distance(name, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// A "did you mean" suggestion, or the list of allowed names.
pub(crate) fn did_you_mean(name: &str, candidates: &[&str]) -> String {
    match closest(name, candidates) {
        Some(c) => format!("did you mean `{c}`?"),
        None => format!("expected one of: {}", candidates.join(", ")),
    }
}

/// Formats a list of ids for messages, eliding long lists.
pub(crate) fn list_ids<T: std::fmt::Display>(ids: &[T]) -> String {
    const MAX: usize = 12;
    let shown: Vec<String> = ids.iter().take(MAX).map(ToString::to_string).collect();
    if ids.len() > MAX {
        format!("{}, … ({} in all)", shown.join(", "), ids.len())
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_a_one_letter_typo() {
        assert_eq!(
            closest("max_storag_hm3", &["min_storage_hm3", "max_storage_hm3"]),
            Some("max_storage_hm3")
        );
        assert_eq!(closest("zzz", &["id", "name"]), None);
    }
}
