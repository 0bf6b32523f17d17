//! Small text helpers shared by the validators.

/// Length in characters (Urssaf's limits count characters, not UTF-8 bytes).
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// `None` for an absent or blank value, else the trimmed text: callers often send `""` for "none".
pub fn non_blank(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|t| !t.is_empty())
}

/// Folds accented Latin letters to ASCII, typographic apostrophes and dashes to `'` and `-`,
/// collapses runs of whitespace into one space and trims.
///
/// Urssaf matches identities against the tax administration, which stores names without
/// accents; characters outside the table are kept as they are (the name rule then judges them).
pub fn fold_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match fold_char(c) {
            Some(rep) => out.push_str(rep),
            None if c.is_whitespace() => out.push(' '),
            None => out.push(c),
        }
    }
    collapse_spaces(&out)
}

/// Trims and replaces every run of whitespace with a single space.
pub fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'æ' => "ae",
        'Æ' => "AE",
        'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => "c",
        'Ç' | 'Ć' | 'Č' | 'Ĉ' | 'Ċ' => "C",
        'ď' | 'đ' => "d",
        'Ď' | 'Đ' => "D",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => "E",
        'ğ' | 'ģ' | 'ĝ' | 'ġ' => "g",
        'Ğ' | 'Ģ' | 'Ĝ' | 'Ġ' => "G",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' => "I",
        'ł' | 'ľ' | 'ĺ' | 'ļ' => "l",
        'Ł' | 'Ľ' | 'Ĺ' | 'Ļ' => "L",
        'ñ' | 'ń' | 'ň' | 'ņ' => "n",
        'Ñ' | 'Ń' | 'Ň' | 'Ņ' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ŏ' | 'Ő' => "O",
        'œ' => "oe",
        'Œ' => "OE",
        'ŕ' | 'ř' | 'ŗ' => "r",
        'Ŕ' | 'Ř' | 'Ŗ' => "R",
        'ś' | 'š' | 'ş' | 'ș' | 'ŝ' => "s",
        'Ś' | 'Š' | 'Ş' | 'Ș' | 'Ŝ' => "S",
        'ß' => "ss",
        'ť' | 'ţ' | 'ț' => "t",
        'Ť' | 'Ţ' | 'Ț' => "T",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "U",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'Ý' | 'Ÿ' | 'Ŷ' => "Y",
        'ź' | 'ż' | 'ž' => "z",
        'Ź' | 'Ż' | 'Ž' => "Z",
        '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`' | '\u{00B4}' => "'",
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' => "-",
        // Combining marks (decomposed accents) are dropped.
        '\u{0300}'..='\u{036F}' => "",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_name_strips_accents_and_spaces() {
        assert_eq!(
            fold_name("  Hélène   Zoé-Françoise "),
            "Helene Zoe-Francoise"
        );
        assert_eq!(fold_name("L\u{2019}Œuvre"), "L'OEuvre");
        assert_eq!(fold_name("Ge\u{0301}rard"), "Gerard");
        assert_eq!(fold_name("Straße"), "Strasse");
    }

    #[test]
    fn non_blank_treats_whitespace_as_absent() {
        assert_eq!(non_blank(Some("  ")), None);
        assert_eq!(non_blank(Some(" a ")), Some("a"));
        assert_eq!(non_blank(None), None);
    }

    #[test]
    fn char_len_counts_characters() {
        assert_eq!(char_len("éé"), 2);
    }
}
