use std::collections::BTreeMap;

/// What the next playout slot holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Popped {
    /// Still filling up to the target depth (at start or after an underrun): play silence.
    Buffering,
    Packet(Vec<u8>),
    /// The packet for this slot never came but later ones did: conceal it.
    Lost,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterStats {
    pub received: u64,
    pub lost: u64,
    pub late: u64,
    pub duplicates: u64,
    pub overflows: u64,
    pub underruns: u64,
}

/// Reorders Opus packets by RTP sequence number and holds `target_depth` of them before playout
/// starts, so network jitter up to that depth is absorbed. Sans-IO: the caller pushes what the
/// network delivered and pops one packet per playout slot at the audio device's pace.
#[derive(Debug)]
pub struct JitterBuffer {
    target_depth: usize,
    max_depth: usize,
    packets: BTreeMap<u64, Vec<u8>>,
    highest: Option<u64>,
    next: Option<u64>,
    playing: bool,
    stats: JitterStats,
}

impl JitterBuffer {
    /// `target_depth` packets are buffered before playing; beyond `max_depth` the oldest are
    /// dropped down to `target_depth`, which bounds latency when the sender's clock runs faster
    /// than the device's or a stalled receiver gets a burst.
    pub fn new(target_depth: usize, max_depth: usize) -> Self {
        JitterBuffer {
            target_depth: target_depth.max(1),
            max_depth: max_depth.max(target_depth.max(1) + 1),
            packets: BTreeMap::new(),
            highest: None,
            next: None,
            playing: false,
            stats: JitterStats::default(),
        }
    }

    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    pub fn depth(&self) -> usize {
        self.packets.len()
    }

    pub fn push(&mut self, sequence: u16, payload: Vec<u8>) {
        let extended = self.extend(sequence);
        if self.next.is_some_and(|next| extended < next) {
            self.stats.late += 1;
            return;
        }
        if self.packets.contains_key(&extended) {
            self.stats.duplicates += 1;
            return;
        }
        self.stats.received += 1;
        self.packets.insert(extended, payload);
        self.highest = Some(self.highest.map_or(extended, |h| h.max(extended)));
        // Back down to the target depth in one cut, not one packet per push: a buffer left at
        // its maximum (after a burst, when the device pulls at the network's pace) would
        // otherwise drop a packet at every slot where a push comes before the pull, and those
        // cuts every 20 ms sound like a 50 Hz buzz over the voice.
        if self.packets.len() > self.max_depth {
            while self.packets.len() > self.target_depth {
                if let Some((oldest, _)) = self.packets.pop_first() {
                    self.stats.overflows += 1;
                    self.next = Some(oldest + 1);
                }
            }
        }
    }

    pub fn pop(&mut self) -> Popped {
        if !self.playing {
            if self.packets.len() < self.target_depth {
                return Popped::Buffering;
            }
            self.playing = true;
            if self.next.is_none_or(|next| {
                self.packets
                    .first_key_value()
                    .is_some_and(|(&k, _)| k > next)
            }) {
                self.next = self.packets.first_key_value().map(|(&k, _)| k);
            }
        }
        let Some(next) = self.next else {
            return Popped::Buffering;
        };
        if let Some(payload) = self.packets.remove(&next) {
            self.next = Some(next + 1);
            return Popped::Packet(payload);
        }
        if self.packets.is_empty() {
            self.stats.underruns += 1;
            self.playing = false;
            return Popped::Buffering;
        }
        self.stats.lost += 1;
        self.next = Some(next + 1);
        Popped::Lost
    }

    // RTP sequence numbers wrap every 65536 packets (about 22 minutes of 20 ms audio).
    fn extend(&self, sequence: u16) -> u64 {
        match self.highest {
            None => u64::from(sequence) + (1 << 16),
            Some(highest) => {
                let delta = i64::from(sequence.wrapping_sub(highest as u16) as i16);
                highest.saturating_add_signed(delta)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(n: u8) -> Vec<u8> {
        vec![n]
    }

    #[test]
    fn waits_for_the_target_depth_then_plays_in_order() {
        let mut jb = JitterBuffer::new(2, 10);
        jb.push(11, packet(11));
        assert_eq!(jb.pop(), Popped::Buffering);
        jb.push(10, packet(10));
        assert_eq!(jb.pop(), Popped::Packet(packet(10)));
        assert_eq!(jb.pop(), Popped::Packet(packet(11)));
    }

    #[test]
    fn a_missing_packet_is_reported_lost_and_a_late_one_dropped() {
        let mut jb = JitterBuffer::new(1, 10);
        jb.push(1, packet(1));
        jb.push(3, packet(3));
        assert_eq!(jb.pop(), Popped::Packet(packet(1)));
        assert_eq!(jb.pop(), Popped::Lost);
        assert_eq!(jb.pop(), Popped::Packet(packet(3)));
        jb.push(2, packet(2));
        assert_eq!(jb.stats().late, 1);
        assert_eq!(jb.stats().lost, 1);
    }

    #[test]
    fn an_underrun_rebuffers_and_playback_resumes() {
        let mut jb = JitterBuffer::new(2, 10);
        jb.push(1, packet(1));
        jb.push(2, packet(2));
        assert_eq!(jb.pop(), Popped::Packet(packet(1)));
        assert_eq!(jb.pop(), Popped::Packet(packet(2)));
        assert_eq!(jb.pop(), Popped::Buffering);
        assert_eq!(jb.stats().underruns, 1);
        // The sender was muted for a while: sequence numbers continue, timing does not matter.
        jb.push(3, packet(3));
        assert_eq!(jb.pop(), Popped::Buffering);
        jb.push(4, packet(4));
        assert_eq!(jb.pop(), Popped::Packet(packet(3)));
    }

    #[test]
    fn sequence_numbers_wrap_around() {
        let mut jb = JitterBuffer::new(1, 10);
        jb.push(65535, packet(1));
        jb.push(0, packet(2));
        assert_eq!(jb.pop(), Popped::Packet(packet(1)));
        assert_eq!(jb.pop(), Popped::Packet(packet(2)));
    }

    #[test]
    fn overflow_drops_the_oldest_to_bound_latency() {
        let mut jb = JitterBuffer::new(1, 3);
        for seq in 0..6u16 {
            jb.push(seq, packet(seq as u8));
        }
        assert_eq!(jb.depth(), 3);
        assert_eq!(jb.pop(), Popped::Packet(packet(3)));
        assert_eq!(jb.stats().overflows, 3);
    }

    #[test]
    fn after_a_burst_the_buffer_is_cut_to_the_target_once_and_then_plays_every_packet() {
        let mut jb = JitterBuffer::new(2, 5);
        for seq in 0..6u16 {
            jb.push(seq, packet(seq as u8));
        }
        assert_eq!(jb.depth(), 2, "cut back to the target depth");
        let cut = jb.stats().overflows;
        assert_eq!(cut, 4);
        // Then the network and the device keep the same pace, a push before each pull.
        for seq in 6..106u16 {
            jb.push(seq, packet(seq as u8));
            assert_eq!(jb.pop(), Popped::Packet(packet((seq - 2) as u8)));
        }
        assert_eq!(jb.stats().overflows, cut, "no packet dropped after the cut");
    }

    #[test]
    fn duplicates_are_ignored() {
        let mut jb = JitterBuffer::new(1, 10);
        jb.push(5, packet(5));
        jb.push(5, packet(5));
        assert_eq!(jb.stats().duplicates, 1);
        assert_eq!(jb.depth(), 1);
    }
}
