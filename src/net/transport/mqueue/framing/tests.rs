use super::*;

const SLOT: usize = 8192;

fn client(uniq: u64) -> Splitter {
    Splitter::new(Side::Client, Kind::Frame, uniq, Some(42))
}

fn feed_all(r: &mut Reassembler, parts: &[Vec<u8>], side: Side) -> Vec<Fed> {
    parts
        .iter()
        .map(|p| {
            let (meta, part) = parse_part(p, side).expect("part parses");
            r.feed(meta, part)
        })
        .collect()
}

fn meta(req: u8, uniq: u64, remain: usize) -> Vec<u8> {
    format!(r#"{{"req":{req},"uniq":{uniq},"remain":{remain}}}"#).into_bytes()
}

fn raw(req: u8, uniq: u64, remain: usize, part: &[u8]) -> Vec<u8> {
    let mut v = meta(req, uniq, remain);
    v.push(0);
    v.extend_from_slice(part);
    v
}

#[test]
fn the_seed_example_parses() {
    let slot = b"{\"status\":200,\"uniq\":1234,\"remain\":29}\0{\"status\":200,\"viewed\":false}";
    let (meta, part) = parse_part(slot, Side::Host).unwrap();
    assert_eq!(meta.uniq, 1234);
    assert_eq!(meta.remain, 29);
    assert!(!meta.more);
    assert_eq!(part.len(), 29);
}

#[test]
fn sizes_around_one_slot_round_trip() {
    let header = {
        let mut out = Vec::new();
        client(7).next_part(b"", SLOT, &mut out);
        out.len()
    };
    for len in [
        0,
        1,
        SLOT - header - 1,
        SLOT - header,
        SLOT - header + 1,
        3 * SLOT,
        10 << 20,
    ] {
        let message: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let parts = split(&message, client(7), SLOT);
        assert!(parts.iter().all(|p| p.len() <= SLOT), "{len}");
        if len + header + 8 < SLOT {
            assert_eq!(parts.len(), 1, "{len}");
        }
        let mut r = Reassembler::new(16 << 20);
        let fed = feed_all(&mut r, &parts, Side::Client);
        let last = fed.last().unwrap();
        assert_eq!(last.whole.as_ref().unwrap().bytes, message, "{len}");
        assert!(fed.iter().all(|f| f.refused.is_none()));
        assert_eq!(r.held(), 0);
    }
}

#[test]
fn exactly_one_slot_is_one_part_and_one_byte_more_is_two() {
    let fit = (0..SLOT)
        .rev()
        .find(|&n| split(&vec![1; n], client(1), SLOT).len() == 1)
        .unwrap();
    assert_eq!(split(&vec![1; fit], client(1), SLOT)[0].len(), SLOT);
    assert_eq!(split(&vec![1; fit + 1], client(1), SLOT).len(), 2);
}

#[test]
fn host_parts_say_206_then_200() {
    let parts = split(
        &vec![9; 20_000],
        Splitter::new(Side::Host, Kind::Frame, 3, None),
        SLOT,
    );
    assert_eq!(parts.len(), 3);
    for (i, p) in parts.iter().enumerate() {
        let text =
            String::from_utf8_lossy(&p[..p.iter().position(|b| *b == 0).unwrap()]).to_string();
        let status = if i < 2 { "206" } else { "200" };
        assert!(text.contains(&format!("\"status\":{status}")), "{text}");
    }
}

#[test]
fn a_growing_remain_is_refused_and_the_rest_of_the_message_dropped() {
    let mut r = Reassembler::new(1 << 20);
    let first = raw(1, 5, 10, b"abcd");
    let grown = raw(1, 5, 12, b"efg");
    let tail = raw(0, 5, 3, b"hij");
    let fed = feed_all(&mut r, &[first, grown, tail], Side::Client);
    let refused = fed[1].refused.as_ref().unwrap();
    assert_eq!((refused.status, refused.uniq), (400, 5));
    assert!(fed[2].whole.is_none() && fed[2].refused.is_none());
    // The next message goes through.
    let fed = feed_all(&mut r, &[raw(0, 6, 2, b"ok")], Side::Client);
    assert_eq!(fed[0].whole.as_ref().unwrap().bytes, b"ok");
}

#[test]
fn an_equal_remain_is_refused() {
    let mut r = Reassembler::new(1 << 20);
    let fed = feed_all(
        &mut r,
        &[raw(1, 5, 10, b"abcd"), raw(1, 5, 10, b"abcd")],
        Side::Client,
    );
    assert_eq!(fed[1].refused.as_ref().unwrap().status, 400);
}

#[test]
fn a_changed_uniq_refuses_the_old_message_and_starts_the_new() {
    let mut r = Reassembler::new(1 << 20);
    let fed = feed_all(
        &mut r,
        &[
            raw(1, 5, 10, b"abcd"),
            raw(0, 6, 2, b"ok"),
            raw(0, 5, 6, b"efghij"),
        ],
        Side::Client,
    );
    assert_eq!(fed[1].refused.as_ref().unwrap().uniq, 5);
    assert_eq!(fed[1].whole.as_ref().unwrap().bytes, b"ok");
    // The stray end of message 5 is dropped quietly.
    assert_eq!(fed[2], Fed::default());
}

#[test]
fn too_large_is_refused_before_anything_is_kept() {
    let mut r = Reassembler::new(100);
    let fed = feed_all(
        &mut r,
        &[raw(1, 1, 1000, b"abc"), raw(0, 1, 997, &[0; 997])],
        Side::Client,
    );
    assert!(
        fed[0]
            .refused
            .as_ref()
            .unwrap()
            .reason
            .contains("larger than the limit")
    );
    assert_eq!(r.held(), 0);
    assert_eq!(fed[1], Fed::default());
}

#[test]
fn bad_metadata_is_an_error_with_a_status() {
    assert_eq!(
        parse_part(b"no nul", Side::Client),
        Err(PartError::NoSeparator)
    );
    assert_eq!(
        parse_part(b"{\"req\":0,\0x", Side::Client)
            .unwrap_err()
            .status(),
        400
    );
    assert_eq!(
        parse_part(b"{\"req\":0,\"uniq\":1}\0x", Side::Client)
            .unwrap_err()
            .status(),
        400
    );
    assert_eq!(
        parse_part(b"{\"req\":7,\"uniq\":1,\"remain\":1}\0x", Side::Client)
            .unwrap_err()
            .status(),
        501
    );
    assert_eq!(
        parse_part(b"{\"status\":200,\"uniq\":1,\"remain\":1}\0x", Side::Client)
            .unwrap_err()
            .status(),
        400
    );
}

#[test]
fn abort_drops_the_partial_and_its_stragglers() {
    let mut r = Reassembler::new(1 << 20);
    feed_all(&mut r, &[raw(1, 5, 10, b"abcd")], Side::Client);
    assert_eq!(r.abort(), Some(5));
    assert_eq!(r.held(), 0);
    let fed = feed_all(
        &mut r,
        &[raw(0, 5, 6, b"efghij"), raw(0, 6, 1, b"x")],
        Side::Client,
    );
    assert_eq!(fed[0], Fed::default());
    assert_eq!(fed[1].whole.as_ref().unwrap().bytes, b"x");
}

#[test]
fn closes_and_refusals_are_one_part_cut_to_fit() {
    let reason = vec![b'r'; 500];
    let parts = split(
        &reason,
        Splitter::new(Side::Host, Kind::Refusal(400), 9, None),
        MIN_SLOT,
    );
    assert_eq!(parts.len(), 1);
    assert!(parts[0].len() <= MIN_SLOT);
    let (meta, part) = parse_part(&parts[0], Side::Host).unwrap();
    assert_eq!(meta.kind, Kind::Refusal(400));
    assert_eq!(meta.remain as usize, part.len());
    let parts = split(
        &reason,
        Splitter::new(Side::Client, Kind::Close(1000), 9, Some(1)),
        MIN_SLOT,
    );
    assert_eq!(parts.len(), 1);
    let (meta, _) = parse_part(&parts[0], Side::Client).unwrap();
    assert_eq!((meta.kind, meta.pid), (Kind::Close(1000), Some(1)));
}

#[test]
fn the_longest_metadata_fits_the_smallest_slot() {
    let parts = split(
        &vec![0; 1000],
        Splitter::new(Side::Host, Kind::Close(65535), u64::MAX, Some(u32::MAX)),
        MIN_SLOT,
    );
    assert!(parts[0].len() <= MIN_SLOT);
    let parts = split(
        &vec![0; 1000],
        Splitter::new(Side::Client, Kind::Frame, u64::MAX, Some(u32::MAX)),
        MIN_SLOT,
    );
    assert!(
        parts
            .iter()
            .all(|p| p.len() <= MIN_SLOT && p.len() > p.iter().position(|b| *b == 0).unwrap() + 1)
    );
}
