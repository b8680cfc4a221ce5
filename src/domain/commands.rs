//! Slash commands as typed: `/name the rest`, hearth's built-in commands and what they
//! take, and the names custom commands may have.

use super::{Code, Invalid};

/// A command line: its name (without the slash, lowercased) and everything after the first
/// space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub name: String,
    pub args: String,
}

impl Invocation {
    /// Reads `/name args`; `None` when the text is not a command (it does not start with
    /// `/`, or starts with `//` or `/ `, which post the text as it is).
    pub fn parse(text: &str) -> Option<Invocation> {
        let rest = text.strip_prefix('/')?;
        if rest.starts_with('/') || rest.starts_with(char::is_whitespace) || rest.is_empty() {
            return None;
        }
        let (name, args) = match rest.split_once(char::is_whitespace) {
            Some((n, a)) => (n, a.trim()),
            None => (rest, ""),
        };
        Some(Invocation { name: name.to_lowercase(), args: args.to_owned() })
    }
}

/// Text that is not a command, as posted: `//…` posts `/…`.
pub fn unescaped(text: String) -> String {
    match text.strip_prefix("//") {
        Some(rest) => format!("/{rest}"),
        None => text,
    }
}

/// A command hearth itself carries out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builtin {
    pub name: &'static str,
    pub usage: &'static str,
    pub description: &'static str,
}

/// Every built-in command, in the order `/help` lists them.
pub const BUILTINS: &[Builtin] = &[
    Builtin { name: "me", usage: "[text]", description: "Post text as an action, in italics" },
    Builtin { name: "shrug", usage: "[text]", description: "Post text followed by a shrug" },
    Builtin { name: "topic", usage: "[text]", description: "Set the channel's topic (empty clears it)" },
    Builtin { name: "purpose", usage: "[text]", description: "Set the channel's purpose (empty clears it)" },
    Builtin { name: "rename", usage: "[new-name]", description: "Rename the channel" },
    Builtin { name: "invite", usage: "@user [#channel]", description: "Add someone to this channel, or to another" },
    Builtin { name: "kick", usage: "@user", description: "Remove someone from this channel" },
    Builtin { name: "join", usage: "#channel", description: "Join a public channel" },
    Builtin { name: "leave", usage: "", description: "Leave this channel" },
    Builtin { name: "mute", usage: "", description: "Mute or unmute this channel" },
    Builtin { name: "msg", usage: "@user [text]", description: "Send someone a direct message" },
    Builtin { name: "away", usage: "", description: "Show yourself as away" },
    Builtin { name: "active", usage: "", description: "Show yourself as active again" },
    Builtin {
        name: "remind",
        usage: "me|@user|#channel to [what] in|at|on [when] · list · cancel [n]",
        description: "Set a reminder, list yours, or cancel one",
    },
    Builtin { name: "search", usage: "[words]", description: "Search the workspace's messages" },
    Builtin { name: "help", usage: "", description: "List every command" },
];

/// The built-in command of that name.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// A custom command's trigger: 1–32 lowercase letters, digits, `-` and `_`, given with or
/// without its slash, and not a built-in's name.
pub fn parse_trigger(raw: &str) -> Result<String, Invalid> {
    let name = raw.trim().trim_start_matches('/').to_lowercase();
    let ok = !name.is_empty()
        && name.len() <= 32
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        return Err(Invalid::new(
            Code::InvalidTrigger,
            "A command is 1 to 32 lowercase letters, digits, '-' and '_', such as /deploy.",
        ));
    }
    if builtin(&name).is_some() {
        return Err(Invalid::new(Code::InvalidTrigger, format!("/{name} is one of hearth's own commands.")));
    }
    Ok(name)
}

/// The first word of `args` as an `@user` name, and the rest.
pub fn person_and_rest(args: &str) -> Option<(String, &str)> {
    let (first, rest) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
    let name = first.strip_prefix('@')?;
    (!name.is_empty()).then(|| (name.to_lowercase(), rest.trim()))
}

/// A `#channel` name (the `#` optional).
pub fn channel_name(word: &str) -> Option<String> {
    let name = word.trim().trim_start_matches('#');
    (!name.is_empty() && !name.contains(char::is_whitespace)).then(|| name.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_read_from_what_was_typed() {
        let i = Invocation::parse("/Topic  The  plan ").unwrap();
        assert_eq!((i.name.as_str(), i.args.as_str()), ("topic", "The  plan"));
        assert_eq!(Invocation::parse("/leave").unwrap().args, "");
        for text in ["hello", "//not a command", "/ spaced", "/", ""] {
            assert_eq!(Invocation::parse(text), None, "{text}");
        }
    }

    #[test]
    fn triggers_are_checked() {
        assert_eq!(parse_trigger("/Deploy").unwrap(), "deploy");
        assert_eq!(parse_trigger("ci_run-2").unwrap(), "ci_run-2");
        for bad in ["", "/", "two words", "x".repeat(33).as_str(), "/topic", "émoji"] {
            assert!(parse_trigger(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn people_and_channels_are_read_from_arguments() {
        assert_eq!(person_and_rest("@Bob hello there"), Some(("bob".to_owned(), "hello there")));
        assert_eq!(person_and_rest("@bob"), Some(("bob".to_owned(), "")));
        assert_eq!(person_and_rest("bob"), None);
        assert_eq!(channel_name("#Ops"), Some("ops".to_owned()));
        assert_eq!(channel_name(" "), None);
    }
}
