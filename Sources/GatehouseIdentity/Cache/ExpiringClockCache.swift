import Foundation

/// A bounded map whose entries expire: at most `capacity` entries, evicted by the CLOCK
/// algorithm (an approximation of LRU whose hits only set a bit, so a hit never reorders
/// anything), each valid until the time it was stored with.
///
/// Not Sendable: made for state owned by one event loop (the edge keeps one per loop) or kept
/// behind a lock by its owner.
public final class ExpiringClockCache<Key: Hashable, Value> {
    public let capacity: Int

    private struct Entry {
        var key: Key
        var value: Value
        var validUntil: Date
        var referenced: Bool
    }

    private var slotOf: [Key: Int] = [:]
    private var slots: [Entry?] = []
    private var freeSlots: [Int] = []
    private var hand = 0

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        slotOf.reserveCapacity(min(self.capacity, 1024))
    }

    public var count: Int { slotOf.count }

    /// The value, if it is stored and still valid at `now`.
    public func lookup(_ key: Key, now: Date) -> Value? {
        guard let slot = slotOf[key], let entry = slots[slot] else { return nil }
        guard now < entry.validUntil else {
            slots[slot] = nil
            slotOf[key] = nil
            freeSlots.append(slot)
            return nil
        }
        slots[slot]?.referenced = true
        return entry.value
    }

    /// Stores `value` until `validUntil`; nothing is stored if that has passed already.
    public func insert(_ value: Value, for key: Key, validUntil: Date, now: Date) {
        guard now < validUntil else { return }
        let entry = Entry(key: key, value: value, validUntil: validUntil, referenced: false)
        if let slot = slotOf[key] {
            slots[slot] = entry
        } else if let slot = freeSlots.popLast() {
            place(entry, at: slot)
        } else if slots.count < capacity {
            slots.append(nil)
            place(entry, at: slots.count - 1)
        } else {
            place(entry, at: evictOne())
        }
    }

    public func removeAll() {
        slotOf.removeAll(keepingCapacity: true)
        slots.removeAll(keepingCapacity: true)
        freeSlots.removeAll()
        hand = 0
    }

    private func place(_ entry: Entry, at slot: Int) {
        slots[slot] = entry
        slotOf[entry.key] = slot
    }

    /// Frees the first slot the hand finds unreferenced, clearing reference bits on the way.
    /// Ends within two sweeps: the first sweep clears every bit it passes.
    private func evictOne() -> Int {
        while true {
            let slot = hand
            hand = (hand + 1) % slots.count
            guard let entry = slots[slot] else { return slot }
            if entry.referenced {
                slots[slot]?.referenced = false
            } else {
                slotOf[entry.key] = nil
                slots[slot] = nil
                return slot
            }
        }
    }
}

@available(*, unavailable, message: "own the cache on one event loop, or keep it behind a lock")
extension ExpiringClockCache: Sendable {}
