//! A hash that never changes between builds, platforms or Rust versions (unlike `std`'s
//! `DefaultHasher`), for names written to disk: summary file stems and project folder slugs.

/// The FNV-1a 64-bit hash of `bytes`.
pub(crate) fn fnv1a_64(bytes: &[u8]) -> u64 {
    const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = FNV_OFFSET;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    hash
}

/// `count` characters of `alphabet` spelling `hash`, least significant digit first.
pub(crate) fn hash_chars(mut hash: u64, alphabet: &[u8], count: usize) -> String {
    let base = alphabet.len() as u64;
    let mut out = String::with_capacity(count);
    for _ in 0..count {
        out.push(char::from(alphabet[(hash % base) as usize]));
        hash /= base;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_of_a_known_text_is_fixed() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(
            hash_chars(35, b"0123456789abcdefghijklmnopqrstuvwxyz", 3),
            "z00"
        );
    }
}
