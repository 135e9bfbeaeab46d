//! H.264 Annex B byte streams (ITU-T H.264 annex B): NAL units separated by start codes. This is
//! what OpenH264 and Android's MediaCodec produce and what the RTP packetizer (RFC 6184) expects;
//! iOS VideoToolbox produces length-prefixed (AVCC) units, converted with [`from_avcc`].

use crate::MediaError;

pub const NAL_IDR: u8 = 5;
pub const NAL_SPS: u8 = 7;
pub const NAL_PPS: u8 = 8;

/// The NAL units of an access unit, without their start codes. Refuses input that does not start
/// with a start code, empty units and units with the forbidden bit set.
pub fn nal_units(data: &[u8]) -> Result<Vec<&[u8]>, MediaError> {
    let first =
        start_code_at(data, 0).ok_or(MediaError::InvalidAccessUnit("no leading start code"))?;
    let mut units = Vec::new();
    let mut begin = first;
    let mut i = first;
    while i + 2 < data.len() {
        if let Some(len) = start_code_at(data, i) {
            units.push(trim_trailing_zeros(&data[begin..i]));
            begin = i + len;
            i = begin;
        } else {
            i += 1;
        }
    }
    units.push(&data[begin..]);
    for unit in &units {
        match unit.first() {
            None => return Err(MediaError::InvalidAccessUnit("empty NAL unit")),
            Some(header) if header & 0x80 != 0 => {
                return Err(MediaError::InvalidAccessUnit("forbidden_zero_bit set"))
            }
            Some(_) => {}
        }
    }
    Ok(units)
}

pub fn nal_type(unit: &[u8]) -> u8 {
    unit.first().map_or(0, |h| h & 0x1f)
}

pub fn contains_idr(data: &[u8]) -> Result<bool, MediaError> {
    Ok(nal_units(data)?.iter().any(|u| nal_type(u) == NAL_IDR))
}

/// Converts a length-prefixed (AVCC, `length_size` 1, 2 or 4 bytes) access unit to Annex B.
pub fn from_avcc(data: &[u8], length_size: usize) -> Result<Vec<u8>, MediaError> {
    if !matches!(length_size, 1 | 2 | 4) {
        return Err(MediaError::InvalidAccessUnit(
            "AVCC length size must be 1, 2 or 4",
        ));
    }
    let mut out = Vec::with_capacity(data.len() + 16);
    let mut rest = data;
    while !rest.is_empty() {
        if rest.len() < length_size {
            return Err(MediaError::InvalidAccessUnit("truncated AVCC length"));
        }
        let len = rest[..length_size]
            .iter()
            .fold(0usize, |acc, &b| acc << 8 | usize::from(b));
        rest = &rest[length_size..];
        if len == 0 || len > rest.len() {
            return Err(MediaError::InvalidAccessUnit(
                "AVCC unit length out of range",
            ));
        }
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(&rest[..len]);
        rest = &rest[len..];
    }
    nal_units(&out)?;
    Ok(out)
}

fn start_code_at(data: &[u8], i: usize) -> Option<usize> {
    match data.get(i..) {
        Some([0, 0, 1, ..]) => Some(3),
        Some([0, 0, 0, 1, ..]) => Some(4),
        _ => None,
    }
}

fn trim_trailing_zeros(unit: &[u8]) -> &[u8] {
    let end = unit.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
    &unit[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_units_with_three_and_four_byte_start_codes() {
        let au = [
            0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 9, 9,
        ];
        let units = nal_units(&au).unwrap();
        assert_eq!(
            units,
            vec![&[0x67, 1, 2][..], &[0x68, 3][..], &[0x65, 9, 9][..]]
        );
        assert_eq!(
            units.iter().map(|u| nal_type(u)).collect::<Vec<_>>(),
            vec![NAL_SPS, NAL_PPS, NAL_IDR]
        );
        assert!(contains_idr(&au).unwrap());
        assert!(!contains_idr(&[0, 0, 1, 0x41, 7]).unwrap());
    }

    #[test]
    fn refuses_what_is_not_annex_b() {
        for bad in [
            &[][..],
            &[0x65, 1, 2],
            &[0, 0, 1],
            &[0, 0, 1, 0x65, 0, 0, 1],
            &[0, 0, 1, 0xe5, 1],
        ] {
            assert!(nal_units(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn converts_avcc_and_refuses_bad_lengths() {
        let avcc = [0, 0, 0, 3, 0x67, 1, 2, 0, 0, 0, 2, 0x65, 5];
        assert_eq!(
            from_avcc(&avcc, 4).unwrap(),
            vec![0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x65, 5]
        );
        assert!(from_avcc(&[0, 0, 0, 9, 0x65], 4).is_err());
        assert!(from_avcc(&[0, 0], 4).is_err());
        assert!(from_avcc(&avcc, 3).is_err());
    }
}
