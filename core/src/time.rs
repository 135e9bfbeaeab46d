//! Wall-clock helpers: timestamps in events are ms since the Unix epoch.

use std::time::{SystemTime, UNIX_EPOCH};

pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Parses an XEP-0082 DateTime (`2026-11-25T10:00:00.123Z`, offsets allowed) into ms since the
/// epoch, and the legacy XEP-0091 form `20261125T10:00:00`.
pub fn parse_xmpp_datetime(s: &str) -> Option<u64> {
    let s = s.trim();
    let (date, rest) = if s.len() >= 10 && s.as_bytes()[4] == b'-' {
        (s.get(..10)?, s.get(10..)?)
    } else {
        (s.get(..8)?, s.get(8..)?)
    };
    let digits: String = date.chars().filter(|c| *c != '-').collect();
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i64 = digits[..4].parse().ok()?;
    let month: i64 = digits[4..6].parse().ok()?;
    let day: i64 = digits[6..8].parse().ok()?;
    let rest = rest.strip_prefix('T')?;
    let hms = rest.get(..8)?;
    let mut parts = hms.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, sec) = (parts.next()??, parts.next()??, parts.next()??);
    let mut tail = &rest[8..];
    let mut millis = 0i64;
    if let Some(frac) = tail.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        let ms_digits: String = frac[..n].chars().chain("000".chars()).take(3).collect();
        millis = ms_digits.parse().ok()?;
        tail = &frac[n..];
    }
    let offset_min = match tail {
        "" | "Z" => 0,
        t if t.len() == 6 && (t.starts_with('+') || t.starts_with('-')) => {
            let sign = if t.starts_with('-') { -1 } else { 1 };
            sign * (t[1..3].parse::<i64>().ok()? * 60 + t[4..6].parse::<i64>().ok()?)
        }
        _ => return None,
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + h * 3600 + m * 60 + sec - offset_min * 60;
    u64::try_from(secs * 1000 + millis).ok()
}

/// Howard Hinnant's days-from-civil algorithm.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_xep_0082_and_legacy_stamps() {
        assert_eq!(parse_xmpp_datetime("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_xmpp_datetime("2026-11-25T10:00:00.5Z"),
            Some(1_795_600_800_500)
        );
        assert_eq!(
            parse_xmpp_datetime("2026-11-25T11:00:00+01:00"),
            Some(1_795_600_800_000)
        );
        assert_eq!(
            parse_xmpp_datetime("20261125T10:00:00"),
            Some(1_795_600_800_000)
        );
        for bad in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-11-25",
            "2026-11-25T10:00:00X",
        ] {
            assert_eq!(parse_xmpp_datetime(bad), None, "{bad}");
        }
    }
}
