//! Emoji: shortcodes as Slack writes them (skin tones included), and the catalogue the
//! picker offers, from the same table messages are rendered with.

use super::{Code, Invalid};

/// Slack's names for the five skin tones, light to dark: `thumbsup::skin-tone-3`.
const SKIN_TONES: [(emojis::SkinTone, &str); 5] = [
    (emojis::SkinTone::Light, "skin-tone-2"),
    (emojis::SkinTone::MediumLight, "skin-tone-3"),
    (emojis::SkinTone::Medium, "skin-tone-4"),
    (emojis::SkinTone::MediumDark, "skin-tone-5"),
    (emojis::SkinTone::Dark, "skin-tone-6"),
];

/// An emoji from its shortcode, with Slack's skin-tone suffix if it has one.
fn by_shortcode(code: &str) -> Option<&'static emojis::Emoji> {
    match code.split_once("::") {
        None => emojis::get_by_shortcode(code),
        Some((base, tone)) => {
            let (tone, _) = SKIN_TONES.iter().find(|(_, name)| *name == tone)?;
            emojis::get_by_shortcode(base)?.with_skin_tone(*tone)
        }
    }
}

/// The shortcode of an emoji: its own, or for a skin-toned one its base's with the tone.
fn shortcode_of(e: &'static emojis::Emoji) -> Option<String> {
    if let Some(code) = e.shortcode() {
        return Some(code.to_owned());
    }
    let tone = e.skin_tone()?;
    let (_, name) = SKIN_TONES.iter().find(|(t, _)| *t == tone)?;
    let base = e.with_skin_tone(emojis::SkinTone::Default)?.shortcode()?;
    Some(format!("{base}::{name}"))
}

/// A reaction's emoji: a shortcode (`tada`, `:tada:`, `+1::skin-tone-3`) or the emoji itself,
/// as its shortcode.
pub fn parse_emoji(raw: &str) -> Result<String, Invalid> {
    let raw = raw.trim();
    let code = raw.trim_matches(':');
    let found = by_shortcode(code).or_else(|| emojis::get(raw));
    match found.and_then(shortcode_of) {
        Some(shortcode) => Ok(shortcode),
        None => Err(Invalid::new(Code::InvalidEmoji, format!("\"{raw}\" is not an emoji this server knows."))),
    }
}

/// Every emoji, for the picker: `{"groups": [{"name", "emoji": [[glyph, shortcode, name,
/// [five skin tones]?], …]}]}`, in Unicode's order.
pub fn emoji_catalogue() -> serde_json::Value {
    const GROUPS: [(emojis::Group, &str); 9] = [
        (emojis::Group::SmileysAndEmotion, "Smileys & emotion"),
        (emojis::Group::PeopleAndBody, "People & body"),
        (emojis::Group::AnimalsAndNature, "Animals & nature"),
        (emojis::Group::FoodAndDrink, "Food & drink"),
        (emojis::Group::TravelAndPlaces, "Travel & places"),
        (emojis::Group::Activities, "Activities"),
        (emojis::Group::Objects, "Objects"),
        (emojis::Group::Symbols, "Symbols"),
        (emojis::Group::Flags, "Flags"),
    ];
    let groups: Vec<serde_json::Value> = GROUPS
        .iter()
        .map(|(group, name)| {
            let emoji: Vec<serde_json::Value> = group
                .emojis()
                .filter_map(|e| {
                    let code = e.shortcode()?;
                    let mut entry = vec![e.as_str().into(), code.into(), e.name().into()];
                    let tones: Vec<&str> = SKIN_TONES
                        .iter()
                        .filter_map(|(t, _)| e.with_skin_tone(*t).map(emojis::Emoji::as_str))
                        .collect();
                    if tones.len() == SKIN_TONES.len() {
                        entry.push(tones.into());
                    }
                    Some(serde_json::Value::Array(entry))
                })
                .collect();
            serde_json::json!({ "name": name, "emoji": emoji })
        })
        .collect();
    serde_json::json!({ "groups": groups })
}

/// The emoji for a shortcode.
pub fn emoji_glyph(shortcode: &str) -> Option<&'static str> {
    by_shortcode(shortcode).map(emojis::Emoji::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skin_tones_are_named_as_slack_names_them() {
        assert_eq!(parse_emoji("+1::skin-tone-3").unwrap(), "+1::skin-tone-3");
        assert_eq!(parse_emoji("👍🏽").unwrap(), "+1::skin-tone-4");
        assert_eq!(emoji_glyph("+1::skin-tone-6"), Some("👍🏿"));
        assert_eq!(parse_emoji(":tada:").unwrap(), "tada");
        for bad in ["+1::skin-tone-9", "tada::skin-tone-2", "nope"] {
            assert!(parse_emoji(bad).is_err(), "{bad}");
        }
        let all = emoji_catalogue();
        let people = &all["groups"][1]["emoji"];
        assert!(
            people.as_array().unwrap().iter().any(|e| e[1] == "+1" && e[3].as_array().is_some_and(|t| t.len() == 5))
        );
    }
}
