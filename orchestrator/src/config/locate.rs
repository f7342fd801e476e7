//! Where a key stands in the source text (1-based lines for every issue), and TOML syntax
//! errors turned into issues.

use super::ConfigIssue;

/// Finds the line of `key` inside `[table]` in the source text, from the spans of toml's own
/// parse (`toml::de::DeTable`): headers, dotted keys, quoted keys and inline tables are located
/// as TOML reads them, not by scanning lines.
pub(super) struct Locator {
    /// (table, key, 1-based line) for every key; a table's own entry has an empty key.
    entries: Vec<(String, String, usize)>,
}

impl Locator {
    pub(super) fn new(text: &str) -> Self {
        // Best effort on a file with a syntax error: the keys before it still have their lines.
        let (root, _errors) = toml::de::DeTable::parse_recoverable(text);
        let line_of = |offset: usize| {
            text.get(..offset)
                .map_or(0, |head| head.bytes().filter(|b| *b == b'\n').count())
                + 1
        };
        let mut entries = Vec::new();
        for (name, value) in root.get_ref() {
            let table = name.get_ref().to_string();
            match value.get_ref() {
                toml::de::DeValue::Table(keys) => {
                    entries.push((table.clone(), String::new(), line_of(name.span().start)));
                    for (key, _) in keys {
                        entries.push((
                            table.clone(),
                            key.get_ref().to_string(),
                            line_of(key.span().start),
                        ));
                    }
                }
                _ => entries.push((String::new(), table, line_of(name.span().start))),
            }
        }
        Self { entries }
    }

    pub(super) fn line(&self, table: &str, key: &str) -> Option<usize> {
        self.entries
            .iter()
            .find(|(t, k, _)| t == table && k == key)
            .map(|(_, _, l)| *l)
    }

    pub(super) fn table_line(&self, table: &str) -> Option<usize> {
        self.line(table, "")
    }

    /// The table whose header precedes `line` (1-based).
    fn table_at(&self, line: usize) -> String {
        self.entries
            .iter()
            .filter(|(_, k, l)| k.is_empty() && *l <= line)
            .max_by_key(|(_, _, l)| *l)
            .map(|(t, _, _)| t.clone())
            .unwrap_or_default()
    }
}

/// Turns a TOML/serde error into an issue naming the key and the line.
pub(super) fn syntax_issue(text: &str, err: &toml::de::Error) -> ConfigIssue {
    let message = err.message().trim().replace('\n', " ");
    let mut line = err
        .span()
        .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
    let locator = Locator::new(text);
    let lines: Vec<&str> = text.lines().collect();
    let key_at = |l: usize| -> Option<String> {
        let raw = lines.get(l.checked_sub(1)?)?.trim();
        if raw.starts_with('[') || raw.starts_with('#') {
            return None;
        }
        let (k, _) = raw.split_once('=')?;
        let k = k.trim().trim_matches('"');
        (!k.is_empty()).then(|| k.to_owned())
    };
    let header_at = |l: usize| -> Option<String> {
        let raw = lines.get(l.checked_sub(1)?)?.trim();
        let rest = raw.strip_prefix('[')?;
        Some(rest.split(']').next().unwrap_or("").trim().to_owned())
    };
    let quoted = between_backticks(&message);
    let is_unknown = message.starts_with("unknown field");
    let is_missing = message.starts_with("missing field");
    let is_value = message.starts_with("invalid") || message.starts_with("unknown variant");
    let mut key_on_line = line.and_then(key_at);
    if key_on_line.is_none() && !is_unknown && !is_missing && !is_value {
        // A syntax error is reported at the token after the mistake (often the next table's
        // header): name the closest key written before it.
        if let Some(l) = line {
            let previous = (1..l).rev().find(|&p| {
                lines.get(p - 1).is_some_and(|r| {
                    let r = r.trim();
                    !r.is_empty() && !r.starts_with('#')
                })
            });
            if let Some(p) = previous.filter(|&p| key_at(p).is_some()) {
                key_on_line = key_at(p);
                line = Some(p);
            }
        }
    }
    let table = line.map(|l| locator.table_at(l)).unwrap_or_default();
    let join = |k: &str| {
        if table.is_empty() {
            k.to_owned()
        } else {
            format!("{table}.{k}")
        }
    };
    let (key, fix) = if is_unknown {
        let key = match (line.and_then(header_at), &quoted) {
            // An unknown table: the span is its header.
            (Some(h), Some(q)) if h == *q || h.ends_with(&format!(".{q}")) => h,
            _ => join(&quoted.clone().or(key_on_line).unwrap_or_default()),
        };
        (
            key,
            "remove it or fix its spelling (see `radiant-onboard init` for every key)",
        )
    } else if is_missing {
        let k = quoted.clone().unwrap_or_default();
        (
            join(&k),
            "add it (see `radiant-onboard init` for an example)",
        )
    } else if let Some(k) = key_on_line {
        (
            join(&k),
            if is_value {
                "fix the value (see `radiant-onboard init` for the expected form)"
            } else {
                "fix the TOML syntax of this entry"
            },
        )
    } else {
        (
            if table.is_empty() {
                "(file)".to_owned()
            } else {
                table.clone()
            },
            "fix the TOML syntax",
        )
    };
    let value = if is_value { quoted } else { None };
    ConfigIssue {
        key,
        line,
        value,
        message: format!("{message}; {fix}"),
    }
}

fn between_backticks(s: &str) -> Option<String> {
    let start = s.find('`')? + 1;
    let len = s[start..].find('`')?;
    Some(s[start..start + len].to_owned())
}
